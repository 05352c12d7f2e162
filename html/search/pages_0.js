var searchData=
[
  ['iommufd_2dlu_0',['iommufd-lu',['../md_README.html',1,'']]]
];
