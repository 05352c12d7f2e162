# Shared build rules: warnings, sanitizers, the Z3 import and lu_add_test().

# Warnings are errors, applied PRIVATE per target (fmt's FMT_WERROR style).
function(lu_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror
    -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Wunused
    -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
  if(LU_SANITIZE)
    # GCC warns that -fsanitize makes its flow-sensitive warnings unreliable
    # (false maybe-uninitialized through std::optional moves, null-dereference
    # inside CLI11): the plain build keeps them as errors.
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized -Wno-null-dereference)
  endif()
endfunction()

if(LU_SANITIZE)
  add_compile_options(-fsanitize=${LU_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${LU_SANITIZE})
endif()

# libFuzzer (-DLU_FUZZ=ON, clang): the instrumentation goes on the fuzz
# targets and on the copies of the libraries they link, never on a global
# flag, so that nothing else needs the fuzzer's runtime to link.
if(LU_FUZZ AND NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "LU_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++")
endif()
# lu_fuzz_instrument(TARGET): coverage for libFuzzer, ASan and UBSan on a library's code.
function(lu_fuzz_instrument target)
  target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
endfunction()
# lu_fuzz_target(TARGET): a libFuzzer executable (its own main, the runtimes).
function(lu_fuzz_target target)
  target_compile_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer)
  target_link_options(${target} PRIVATE -fsanitize=fuzzer,address,undefined)
endfunction()

# Debian's libz3-dev (4.8.12) ships no CMake package: import it by hand.
if(NOT LU_NO_EXCEPTIONS)
  find_path(Z3_INCLUDE_DIR z3++.h REQUIRED)
  find_library(Z3_LIBRARY z3 REQUIRED)
  if(NOT TARGET z3::libz3)
    add_library(z3::libz3 UNKNOWN IMPORTED)
    set_target_properties(z3::libz3 PROPERTIES IMPORTED_LOCATION ${Z3_LIBRARY}
      INTERFACE_INCLUDE_DIRECTORIES ${Z3_INCLUDE_DIR})
  endif()
  find_package(fmt REQUIRED)
  find_package(nlohmann_json 3.10 REQUIRED)
  find_package(CLI11 REQUIRED)
endif()

# Version and git hash of the tree, for every report (verify links it).
find_package(Git QUIET)
set(LU_GIT_HASH "unknown")
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --abbrev=12
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE LU_GIT_HASH
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT LU_GIT_HASH)
    set(LU_GIT_HASH "unknown")
  endif()
endif()

# lu_add_test(NAME SOURCES... LIBS ...): one GoogleTest binary, registered with ctest.
function(lu_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  lu_warnings(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest_main GTest::gmock)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  if("slow" IN_LIST T_LABELS)
    # One ctest for the whole binary: gtest_discover_tests() writes a list of
    # labels unquoted, so that "slow" would be lost (read as a property name).
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT 3600)
  else()
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()
