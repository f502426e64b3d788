"""Excel workbooks: pure builders (data in → openpyxl workbook / bytes out); views only stream them."""
