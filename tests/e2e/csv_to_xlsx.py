#!/usr/bin/env python3
"""tests/e2e/csv_to_xlsx.py CSV_DIR OUT.xlsx [--chinese-sheets] [--serial-dates]

Builds a workbook from a folder of snapshot CSV files (python3's standard
library only), one sheet per table, as an office's spreadsheet would hold
them: numbers as numbers, text as inline strings; with --chinese-sheets the
sheets are named 社区, 工作人员...; with --serial-dates every YYYY-MM-DD
value is an Excel date serial with a date number format (numFmtId 14)."""
import csv, datetime, io, os, re, sys, zipfile
from xml.sax.saxutils import escape

TITLES = {"snapshot_meta": "快照信息", "communities": "社区", "workers": "工作人员",
          "organizations": "社会组织", "activities": "活动", "visits": "走访", "postings": "公示",
          "survey_responses": "满意度调查", "requests": "居民诉求", "tasks": "下派事项",
          "facts": "其他数据"}

def column(n):
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s

def cell(ref, value, serial_dates):
    if re.fullmatch(r"-?\d+(\.\d+)?", value) and not re.fullmatch(r"0\d+", value) and len(value) < 12:
        return f'<c r="{ref}"><v>{value}</v></c>'
    if serial_dates and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        d = datetime.date.fromisoformat(value)
        return f'<c r="{ref}" s="1"><v>{(d - datetime.date(1899, 12, 30)).days}</v></c>'
    if value == "":
        return ""
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>'

def main():
    src, out = sys.argv[1], sys.argv[2]
    chinese, serial = "--chinese-sheets" in sys.argv, "--serial-dates" in sys.argv
    tables = sorted(f[:-4] for f in os.listdir(src) if f.endswith(".csv"))
    z = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
    z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' + "".join(f'<Override PartName="/xl/worksheets/sheet{i+1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(len(tables))) + '</Types>')
    z.writestr("_rels/.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    sheets = "".join(f'<sheet name="{escape(TITLES[t] if chinese else t)}" sheetId="{i+1}" r:id="rId{i+1}"/>' for i, t in enumerate(tables))
    z.writestr("xl/workbook.xml", f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>')
    rels = "".join(f'<Relationship Id="rId{i+1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i+1}.xml"/>' for i in range(len(tables)))
    rels += f'<Relationship Id="rId{len(tables)+1}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    z.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
    z.writestr("xl/styles.xml", '<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>')
    for i, t in enumerate(tables):
        with open(os.path.join(src, t + ".csv"), encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        body = io.StringIO()
        for r, values in enumerate(rows, 1):
            cells = "".join(cell(f"{column(c)}{r}", v, serial and r > 1) for c, v in enumerate(values, 1))
            if cells:
                body.write(f'<row r="{r}">{cells}</row>')
        z.writestr(f"xl/worksheets/sheet{i+1}.xml", f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{body.getvalue()}</sheetData></worksheet>')
    z.close()

main()
