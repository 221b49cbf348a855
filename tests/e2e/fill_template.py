#!/usr/bin/env python3
"""tests/e2e/fill_template.py TEMPLATE.xlsx CSV_DIR OUT.xlsx

Fills a workbook made by `kaohe template` with the rows of a folder of
snapshot CSV files, as a person would: each value under the template's
column of the same name; a date typed into a date-formatted column (stored
as an Excel serial under the column's format); the Chinese labels the
drop-down lists offer instead of codes (书记, 是/否); anything else as text.
The template's sheets and headers are read from the file itself. Only
python3's standard library."""
import csv, datetime, os, re, sys, zipfile
from xml.sax.saxutils import escape

ROLE = {"secretary": "书记", "director": "主任", "fulltime": "专职", "grid": "网格员"}
BOOLEAN_COLUMNS = {"funded", "staffed", "satisfied", "registered", "evaluated"}


def column(n):
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def unescape(t):
    return t.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


def main():
    template, src, out = sys.argv[1:4]
    z = zipfile.ZipFile(template)
    parts = {n: z.read(n) for n in z.namelist()}
    z.close()
    shared = [unescape(t) for t in re.findall(r"<si><t[^>]*>([^<]*)</t></si>",
                                               parts.get("xl/sharedStrings.xml", b"").decode())]
    styles = parts["xl/styles.xml"].decode()
    xfs = re.findall(r"<xf [^>]*>", re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S).group(1))
    date_formats = {f for f, code in re.findall(r'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"', styles)
                    if "yy" in code}

    def is_date_style(index):
        m = re.search(r'numFmtId="(\d+)"', xfs[int(index)])
        return m is not None and m.group(1) in date_formats

    csvs = {}
    for f in os.listdir(src):
        if f.endswith(".csv"):
            with open(os.path.join(src, f), encoding="utf-8-sig", newline="") as h:
                csvs[f[:-4]] = list(csv.reader(h))
    rels = dict(re.findall(r'Id="(rId\d+)"[^>]*Target="([^"]+)"',
                           parts["xl/_rels/workbook.xml.rels"].decode()))
    for name, rid in re.findall(r'<sheet name="([^"]+)" sheetId="\d+" r:id="(rId\d+)"/>',
                                parts["xl/workbook.xml"].decode()):
        part = "xl/" + rels[rid]
        xml = parts[part].decode()
        header = re.search(r'<row r="1"[^>]*>(.*?)</row>', xml)
        if header is None:
            continue
        titles = [shared[int(v)] for v in re.findall(r'<c r="[A-Z]+1"[^>]*t="s"[^>]*><v>(\d+)</v>',
                                                      header.group(1))]
        # "社区名称 name": the CSV files name a column by either part.
        heads = [(t.rsplit(" ", 1)[-1], t.rsplit(" ", 1)[0]) for t in titles]
        table = next((t for t, rows in csvs.items() if rows and all(
            english in rows[0] or chinese in rows[0] for english, chinese in heads)
            and len(rows[0]) == len(heads)), None)
        if table is None:
            continue
        rows = csvs[table]
        where = [rows[0].index(e) if e in rows[0] else rows[0].index(c) for e, c in heads]
        col_style = dict(re.findall(r'<col min="(\d+)" max="\d+"[^>]*style="(\d+)"', xml))
        body = []
        for r, values in enumerate(rows[1:], 2):
            cells = []
            for c, ((english, _), i) in enumerate(zip(heads, where), 1):
                v = values[i] if i < len(values) else ""
                ref = f"{column(c)}{r}"
                style = col_style.get(str(c))
                if v == "":
                    continue
                if style and is_date_style(style) and re.fullmatch(r"\d{4}-\d\d-\d\d", v):
                    serial = (datetime.date.fromisoformat(v) - datetime.date(1899, 12, 30)).days
                    cells.append(f'<c r="{ref}" s="{style}"><v>{serial}</v></c>')
                    continue
                if english == "role":
                    v = ROLE.get(v, v)
                elif english in BOOLEAN_COLUMNS and v in ("0", "1"):
                    v = "是" if v == "1" else "否"
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>')
            body.append(f'<row r="{r}">{"".join(cells)}</row>')
        xml = xml.replace("</sheetData>", "".join(body) + "</sheetData>", 1)
        parts[part] = re.sub(r'<dimension ref="[^"]*"/>', "", xml).encode()
    z = zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)
    for n, d in parts.items():
        z.writestr(n, d)
    z.close()


main()
