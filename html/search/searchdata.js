var indexSectionsWithContent =
{
  0: "i",
  1: "i"
};

var indexSectionNames =
{
  0: "all",
  1: "pages"
};

var indexSectionLabels =
{
  0: "All",
  1: "Pages"
};

