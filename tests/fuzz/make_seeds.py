#!/usr/bin/env python3
"""tests/fuzz/make_seeds.py — (re)builds the seed corpora in tests/fuzz/corpus/.

    python3 tests/fuzz/make_seeds.py          # from the repository root
    python3 tests/fuzz/make_seeds.py schema   # one harness's seeds (and dictionary)
    python3 tests/fuzz/make_seeds.py xlsx     # the same for xlsx

Seeds are small, real inputs in each harness's input format (see the header
of tests/fuzz/fuzz_<harness>.c):

  rules      the shipped rule files (mode 2: in place of themselves), the three
             shipped profiles (mode 0), and short rule snippets (mode 1);
  snapshot   byte strings that decode into small snapshots: plain, with each
             schema perturbation, with each hostile value kind;
  admission  every pattern of ../shared/spec/admission.tsv with titles from the
             conformance snapshot's tasks and the sample's tasks;
  params     a few --set lines (the README's examples, schedules, NAME.YEAR);
  scenario   the README's scenario file and variations;
  import     fixtures/sample-csv cut to its first rows (header + 3 rows).
  schema     SQL scripts run on fixtures/small.db: each form of the snapshot
             that kaohe must read as snapshot.sql defines it or refuse
             (collations, other types, no primary key, partial, expression
             and collated indexes, infinities, NUL bytes, generated and virtual
             columns, WITHOUT ROWID, STRICT, page size, WAL, views, triggers).
  import     fixtures/sample-csv cut to its first rows (header + 3 rows);
  sql        rule SQL: queries like the shipped rules' and the SQL guard's
             attacks (random, the clock, PRAGMA, runaway queries);
  xlsx       workbooks as parts (text, numbers, booleans, errors, dates and
             times by format, inline and rich strings, two sheets, prefixed
             names, date1904) and broken ones (DOCTYPE, bad references, a
             missing shared string, deep nesting, not UTF-8, not a workbook),
             plus fixtures/xlsx/libreoffice-style.xlsx whole, cut and not a zip.

It also writes the libFuzzer dictionaries in tests/fuzz/dict/ (rule DSL and
SQL words, PCRE2 syntax, parameter names, CSV headers and values).

The corpora are committed; rerun this only when the input formats change.
Deterministic: the same files each time.
"""
import csv
import io
import os
import re
import sqlite3
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.path.abspath(os.path.join(ROOT, "..", "shared"))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")

SHIPPED = [
    "indicators/a_team.lua", "indicators/b_governance.lua", "indicators/c_service.lua",
    "indicators/d_environment.lua", "indicators/e_culture.lua", "indicators/f_satisfaction.lua",
    "indicators/system.lua", "rules/admission.lua", "rules/appraisal.lua",
    "rules/certificates.lua", "rules/conventions.lua", "rules/stars.lua",
]


def write(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(path):
    with open(os.path.join(ROOT, path), "rb") as f:
        return f.read()


def rules_seeds():
    for i, path in enumerate(SHIPPED):
        write("rules", "shipped-%02d-%s" % (i, os.path.basename(path)), bytes([2, i]) + read(path))
    for name in ("yichang", "tieshan", "chengdong"):
        write("rules", "profile-" + name, b"\x00" + read("rules/profiles/%s/profile.lua" % name))
    snippets = {
        "param": 'param "z.limit" { default = 3, min = 0, max = 10, source = "s" }\n',
        "indicator": (
            'indicator "Z01" {\n  name = "测试", category = "A", unit = "个", max = 1,\n'
            '  inputs = { n = count("activities", "{in_year(held_on)}") },\n'
            '  value = "n", score = lin(0, 10), source = "s",\n}\n'),
        "override": 'override "A06" { score = lin(5, 2) }\n',
        "set": 'set "F01.from" (0.80, "本市")\n',
        "target": (
            'target "z" {\n  name = "z", denominator = "{active}", numerator = "{active} AND {certified}",\n'
            '  required = 0.5, scopes = { "region", "street" }, source = "s",\n}\n'),
        "deny": 'deny "Z01" { pattern = [[(安装|下载).{0,3}APP]], reason = "r" }\n',
        "allow": 'allow "Z02" { kind = "assist", pattern = [[入户]], department = [[民政]], reason = "r" }\n',
        "define": 'define "z" [[status = \'active\']]\n',
        "loop": 'local x = 0 while true do x = x + 1 end\n',
        "memory": 'local t = {} for i = 1, 1e9 do t[i] = ("x"):rep(100) .. i end\n',
        "pcall": 'pcall(function() while true do end end) while true do end\n',
        "sandbox": 'local ok = pcall(function() return io.open("/etc/passwd") end)\n_G.x = 1\n',
        "extends": 'extends "default"\nset "stars.five" (95, "s")\n',
        "sql": 'indicator "Z03" { name = "z", category = "A", max = 1, inputs = { v = sql [[ SELECT id, 1 FROM communities ORDER BY id ]] }, value = "v", score = ratio(1), source = "s" }\n',
    }
    for name, text in snippets.items():
        write("rules", "snippet-" + name, b"\x01" + text.encode())


def snapshot_seeds():
    # flags, more, as_of, the table a schema change applies to, then row
    # counts (one byte per table) and value bytes.
    plain_counts = bytes([1, 3, 5, 2, 3, 4, 3, 6, 3, 4, 6])
    values = bytes((i * 37 + 11) % 224 for i in range(1500))  # plausible values only
    write("snapshot", "plain", bytes([0, 0, 0]) + plain_counts + values)
    write("snapshot", "empty", bytes([0, 0, 0]) + bytes(11))
    write("snapshot", "no-communities", bytes([0, 0, 0, 1, 0, 3, 2, 2, 2, 2, 2, 2, 2, 2]) + values)
    for bit in range(8):
        write("snapshot", "schema-flag-%d" % bit, bytes([1 << bit, 0, 0]) + plain_counts + values)
    for as_of in range(8):
        write("snapshot", "as-of-%d" % as_of, bytes([0, as_of & 3, as_of]) + plain_counts + values)
    for kind in range(24):
        hostile = bytes(224 + (kind % 32) if i % 7 == 3 else (i * 37 + 11) % 224 for i in range(1500))
        hostile = bytes(224 + kind if i % 7 == 3 else b for i, b in enumerate(hostile))
        write("snapshot", "hostile-%02d" % kind, bytes([0, 0, 0]) + plain_counts + hostile)


def admission_seeds():
    rows = []
    with open(os.path.join(SHARED, "spec", "admission.tsv"), encoding="utf-8") as f:
        for line in f.read().splitlines()[1:]:
            cols = line.split("\t")
            if len(cols) >= 6:
                rows.append(cols)
    titles = []
    for db in (os.path.join(ROOT, "fixtures", "small.db"),):
        if os.path.exists(db):
            con = sqlite3.connect(db)
            titles += [(r[0], r[1] or "", r[2]) for r in
                       con.execute("SELECT title, detail, department FROM tasks ORDER BY id")]
            con.close()
    conf = os.path.join(SHARED, "conformance", "snapshot.sql")
    if os.path.exists(conf):
        con = sqlite3.connect(":memory:")
        con.executescript(open(conf, encoding="utf-8").read())
        titles += [(r[0], r[1] or "", r[2]) for r in
                   con.execute("SELECT title, detail, department FROM tasks ORDER BY id")]
        con.close()
    titles += [("请协助安装某某APP", "", "网信办"), ("低保户入户调查", "", "民政局"),
               ("ＡＰＰ推广", "", "宣传部"), ("a\nb", "", "x")]
    sep = b"\x1f"
    n = 0
    for i, (id_, lst, kind, pattern, dept, reason) in enumerate(rows):
        t = titles[i % len(titles)]
        flags = (0 if lst == "deny" else (1 if kind == "duty" else 2)) | 0x04 | 0x08 | 0x10
        data = bytes([flags]) + sep.join(x.encode("utf-8") for x in
                                          (pattern, dept, t[0], t[1], t[2], reason))
        write("admission", "tsv-%s" % id_, data)
        n += 1
    for i, t in enumerate(titles[:40]):
        data = bytes([0x40 | (i & 0x1f)]) + sep.join(x.encode("utf-8") for x in
                                                      ("(协助|配合)", "", t[0], t[1], t[2], "r"))
        write("admission", "title-%02d" % i, data)
    extra = {
        "backtrack": (0x20, "(a+)+$", "", "a" * 40 + "b", "", "", "r"),
        "bad-pattern": (0, "(安装", "", "安装", "", "", "r"),
        "bad-utf8-title": (0, "APP", "", b"\xff\xfeAPP", "", "", "r"),
        "truncated-utf8": (1, "x", "", b"x\xe7\xa4", "", "", "r"),
        "long-reason": (2, "入户", "民政", "入户", "", "民政局", "理由" * 200),
        "lookbehind": (0, "(?<=安装)APP", "", "安装APP", "", "", "r"),
        "backref": (0, r"(\w+)\1", "", "abab", "", "", "r"),
        "recursion": (0x20, r"^(\((?1)*\))$", "", "(" * 30 + ")" * 30, "", "", "r"),
        # Default limits: more than the free steps, so the metered matcher
        # counts (and runs out of budget on the first, not on the second).
        "budget-nested": (0, r"^(\w+\s?)*$", "", "a" * 22 + "!", "", "", "r"),
        "budget-positions": (0, r"(\w+\s?)*$", "", "a" * 9 + "!" + "a" * 9 + "!", "", "", "r"),
    }
    for name, (flags, *fields) in extra.items():
        data = bytes([flags]) + sep.join(x if isinstance(x, bytes) else x.encode("utf-8")
                                         for x in fields)
        write("admission", "extra-" + name, data)


def params_seeds():
    lines = {
        "max": "F01.max=12\nA01.max=1",
        "schedule": 'cert.milestones={"2020":0.35,"2023":0.5,"2026":1.0}',
        "year": "cert.milestones.2023=0.5",
        "ratio": "elimination.bottom_ratio=0.05",
        "stars": "stars.five=95\nstars.four=85",
        "lin": "A01.from=17\nA01.to=10",
        "integer": "satisfaction.min_responses=31",
        "date": "under45.since=2020-01-01",
        "limits": "admission.match_limit=100\nadmission.depth_limit=100",
        "hours": "A05.hours=30",
        "epsilon": "compare.epsilon=0.001",
        "unknown": "F01.mx=3",
        "bad": "F01.max=abc",
        "spaces": "F01.max =3",
        "empty": "=3",
        "range": "F01.max=1000",
        "json-bad": 'cert.milestones={"2020":',
        "weights": "appraisal.weight.civil=0.5\nappraisal.weight.community=0.3\nappraisal.weight.residents=0.2",
    }
    for name, text in lines.items():
        write("params", name, text)


def scenario_seeds():
    write("scenario", "readme", '''scenario "持证目标 50%、末位 5%" {
  description = "2023 年持证目标降到 50%，末位淘汰比例提高到 5%",
  set = {
    ["cert.milestones"] = { [2020] = 0.35, [2023] = 0.50, [2026] = 1.00 },
    ["elimination.bottom_ratio"] = 0.05,
  },
}
''')
    write("scenario", "text", 'scenario "s" { set = { ["under45.since"] = "2020-01-01", ["F01.max"] = "12" } }\n')
    write("scenario", "unknown-field", 'scenario "s" { sett = {} }\n')
    write("scenario", "two", 'scenario "a" { set = {} }\nscenario "b" { set = {} }\n')
    write("scenario", "loop", 'scenario "s" { set = { x = (function() while true do end end)() } }\n')
    write("scenario", "bad-value", 'scenario "s" { set = { ["F01.max"] = {} } }\n')
    write("scenario", "none", '-- nothing\n')
    write("scenario", "numbers", 'scenario "s" { set = { ["F01.max"] = 1/0, ["A01.from"] = -0.0 } }\n')


def import_seeds():
    sep = b"\x1e"
    names = ["snapshot_meta.csv", "communities.csv", "workers.csv", "organizations.csv",
             "activities.csv", "visits.csv", "postings.csv", "survey_responses.csv",
             "requests.csv", "tasks.csv", "facts.csv"]
    sections = []
    for i, name in enumerate(names):
        path = os.path.join(ROOT, "fixtures", "sample-csv", name)
        with open(path, "rb") as f:
            lines = f.read().split(b"\n")
        sections.append(bytes([i]) + b"\n".join(lines[:4]) + b"\n")
    write("import", "sample-head", b"\x00" + sep.join(sections))
    write("import", "sample-head-skip-bad", b"\x01" + sep.join(sections))
    write("import", "meta-only", b"\x00" + sections[0] + sep + sections[1])
    quoted = bytes([1]) + ('id,name,district,street\n"C1","社区, ""一""\n二",区,街\r\nC2,x,y,z\n').encode()
    write("import", "quoted", b"\x00" + sections[0] + sep + quoted)
    bad = bytes([2]) + b"id,community_id,hire_date,role,status\nW1,C9,2023-02-30,boss,active\n"
    write("import", "bad-rows", b"\x01" + sections[0] + sep + sections[1] + sep + bad)
    write("import", "bad-utf8", b"\x00" + sections[0] + sep + bytes([1]) + b"id,name\n\xff\xfe,x\n")
    write("import", "extra-file", b"\x00" + sections[0] + sep + sections[1] + sep + bytes([11]) + b"a,b\n1,2\n")
    # Flags bit 1: rows over a 64-byte limit (a long quoted field with commas,
    # quotes and line breaks, then a row after it), with and without --skip-bad.
    long_row = bytes([9]) + ('id,community_id,department,title,detail,received_on\n'
                             'T1,3710010101,民政局,走访,"' + '长,""\n' * 12 + '",2025-01-02\n'
                             'T2,3710010101,民政局,走访,,2025-01-03\n').encode()
    write("import", "long-row", b"\x02" + sections[0] + sep + sections[1] + sep + long_row)
    write("import", "long-row-skip-bad", b"\x03" + sections[0] + sep + sections[1] + sep + long_row)


# Part names of fuzz_xlsx.c, by the index its sections' first byte picks.
XLSX_PARTS = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
              "xl/_rels/workbook.xml.rels", "xl/worksheets/sheet1.xml",
              "xl/worksheets/sheet2.xml", "xl/sharedStrings.xml", "xl/styles.xml",
              "xl/worksheets/_rels/sheet1.xml.rels", "xl/workbook.bin", "word/document.xml",
              "mimetype", "content.xml", "xl/Workbook.XML"]
XLSX_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
XLSX_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def xlsx_input(parts, flags=0):
    """fuzz_xlsx's input: flags, then one section per (name, text) part."""
    sections = []
    for name, text in parts:
        if isinstance(text, str):
            text = text.encode("utf-8")
        sections.append(bytes([XLSX_PARTS.index(name)]) + text)
    return bytes([flags]) + b"\x1e".join(sections)


def xlsx_book(sheet_data, shared=None, styles=None, pr="", sheets=None):
    rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="%s/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>' % XLSX_REL)
    sheets = sheets or [("工作人员", "rId1")]
    workbook = ('<workbook %s xmlns:r="%s"><workbookPr %s/><sheets>%s</sheets></workbook>'
                % (XLSX_MAIN, XLSX_REL, pr, "".join(
                    '<sheet name="%s" sheetId="%d" r:id="%s"/>' % (n, i + 1, r)
                    for i, (n, r) in enumerate(sheets))))
    wrels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             '<Relationship Id="rId1" Type="%s/worksheet" Target="worksheets/sheet1.xml"/>'
             '<Relationship Id="rId2" Type="%s/worksheet" Target="/xl/worksheets/sheet2.xml"/>'
             '<Relationship Id="rId3" Type="%s/sharedStrings" Target="sharedStrings.xml"/>'
             '<Relationship Id="rId4" Type="%s/styles" Target="styles.xml"/>'
             '</Relationships>' % (XLSX_REL, XLSX_REL, XLSX_REL, XLSX_REL))
    parts = [("_rels/.rels", rels), ("xl/workbook.xml", workbook),
             ("xl/_rels/workbook.xml.rels", wrels),
             ("xl/worksheets/sheet1.xml",
              "<worksheet %s><sheetData>%s</sheetData></worksheet>" % (XLSX_MAIN, sheet_data))]
    if shared is not None:
        parts.append(("xl/sharedStrings.xml", "<sst %s>%s</sst>" % (XLSX_MAIN, shared)))
    if styles is not None:
        parts.append(("xl/styles.xml", styles))
    return parts


XLSX_STYLES = ('<styleSheet %s><numFmts count="3"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;'
               'm&quot;月&quot;d&quot;日&quot;"/><numFmt numFmtId="165" formatCode="[$-804]h:mm AM/PM"/>'
               '<numFmt numFmtId="166" formatCode="#,##0.00;[Red]-#,##0.00"/></numFmts>'
               '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs><cellXfs count="6">'
               '<xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="165"/>'
               '<xf numFmtId="166"/><xf numFmtId="22"/></cellXfs></styleSheet>' % XLSX_MAIN)
XLSX_ROWS = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
             '<c r="D1" t="inlineStr"><is><r><t>出生</t></r><r><t>日期</t></r></is></c></row>'
             '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>7496</v></c>'
             '<c r="C2" t="b"><v>1</v></c><c r="D2" s="1"><v>27050</v></c>'
             '<c r="E2" s="2"><v>45717</v></c><c r="F2" s="3"><v>0.5</v></c>'
             '<c r="G2" s="4"><v>1234.5</v></c><c r="H2" s="5"><v>45717.25</v></c>'
             '<c r="I2" t="e"><v>#N/A</v></c><c r="J2" t="str"><f>A2</f><v>张三</v></c>'
             '<c r="K2" t="d"><v>2025-03-01</v></c><c r="L2" s="1"/></row>'
             '<row><c><v>1</v></c><c t="inlineStr"><is><t>x_x000D_y</t></is></c></row>')
XLSX_SHARED = ('<si><t>id</t></si><si><t xml:space="preserve">姓名 </t></si>'
               '<si><r><t>张</t></r><r><rPr/><t>三</t></r><rPh><t>ちょう</t></rPh></si>')


def xlsx_seeds():
    good = xlsx_book(XLSX_ROWS, XLSX_SHARED, XLSX_STYLES)
    write("xlsx", "good", xlsx_input(good))
    write("xlsx", "good-small-limits", xlsx_input(good, 2))
    write("xlsx", "date1904", xlsx_input(xlsx_book(XLSX_ROWS, XLSX_SHARED, XLSX_STYLES,
                                                   pr='date1904="1"')))
    two = xlsx_book(XLSX_ROWS, XLSX_SHARED, XLSX_STYLES,
                    sheets=[("社区", "rId2"), ("工作人员", "rId1")])
    two.append(("xl/worksheets/sheet2.xml", '<worksheet %s><sheetData><row r="1"><c r="A1" '
                't="s"><v>1</v></c></row></sheetData></worksheet>' % XLSX_MAIN))
    write("xlsx", "two-sheets", xlsx_input(two))
    prefixed = [("xl/workbook.xml", '<x:workbook xmlns:x="http://schemas.openxmlformats.org/'
                 'spreadsheetml/2006/main" xmlns:r="%s"><x:sheets><x:sheet name="S" sheetId="1" '
                 'r:id="rId1"/></x:sheets></x:workbook>' % XLSX_REL)] + good[2:]
    write("xlsx", "prefixed-no-package-rels", xlsx_input(prefixed))
    bad = {
        "doctype": '<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><worksheet/>',
        "bad-ref": '<worksheet %s><sheetData><row r="1"><c r="A0"><v>1</v></c></row></sheetData></worksheet>' % XLSX_MAIN,
        "big-ref": '<worksheet %s><sheetData><row r="1"><c r="ZZZZ1"><v>1</v></c></row></sheetData></worksheet>' % XLSX_MAIN,
        "shared-index": '<worksheet %s><sheetData><row r="12"><c r="F12" t="s"><v>9999</v></c></row></sheetData></worksheet>' % XLSX_MAIN,
        "deep": '<worksheet %s><sheetData><row r="1">%s%s</row></sheetData></worksheet>' % (XLSX_MAIN, "<x>" * 80, "</x>" * 80),
        "not-utf8": b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>\xc3\x28\xff</t></is></c></row></sheetData></worksheet>',
        "unclosed": '<worksheet %s><sheetData><row r="1"><c r="A1"><v>1</v></row>' % XLSX_MAIN,
        "rows-backwards": '<worksheet %s><sheetData><row r="5"/><row r="4"/></sheetData></worksheet>' % XLSX_MAIN,
    }
    for name, sheet in sorted(bad.items()):
        parts = [p if p[0] != "xl/worksheets/sheet1.xml" else (p[0], sheet) for p in good]
        write("xlsx", "bad-" + name, xlsx_input(parts))
    write("xlsx", "bad-missing-sheet", xlsx_input(good[:3]))
    write("xlsx", "bad-not-workbook", xlsx_input([("word/document.xml", "<w:document/>")]))
    write("xlsx", "bad-xlsb", xlsx_input([("xl/workbook.bin", "\x83\x01")]))
    write("xlsx", "bad-ods", xlsx_input([("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
                                         ("content.xml", "<office:document-content/>")]))
    # Flags bit 0: the file itself (the container fuzzed).
    with open(os.path.join(ROOT, "fixtures", "xlsx", "libreoffice-style.xlsx"), "rb") as f:
        lo = f.read()
    write("xlsx", "raw-libreoffice-style", b"\x01" + lo)
    write("xlsx", "raw-libreoffice-style-small-limits", b"\x03" + lo)
    write("xlsx", "raw-not-zip", b"\x01id,name\nC1,x\n")
    write("xlsx", "raw-xls", b"\x01\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32)
    write("xlsx", "raw-truncated", b"\x01" + lo[: len(lo) // 2])


def results_seeds():
    # Each a way a results file could act on what kaohe writes
    # (tests/e2e/test_results_trust.sh has one test for each).
    seeds = {
        "nothing": "",
        "trigger-wipe": "CREATE TRIGGER w AFTER INSERT ON runs BEGIN "
                        "DELETE FROM indicator_scores WHERE run_id < NEW.run_id; END;",
        "trigger-totals": "CREATE TRIGGER t AFTER INSERT ON community_scores BEGIN "
                          "UPDATE community_scores SET total = 100.0, stars = 5 "
                          "WHERE rowid = NEW.rowid; END;",
        "view-instead": "DROP TABLE category_scores; CREATE VIEW category_scores AS "
                        "SELECT run_id, community_id, 'A' AS category_id, 0.0 AS points, "
                        "0.0 AS max_points FROM community_scores; CREATE TRIGGER v INSTEAD OF "
                        "INSERT ON category_scores BEGIN DELETE FROM runs; END;",
        "index": "CREATE INDEX i ON community_scores(total);",
        "unique": "CREATE UNIQUE INDEX u ON community_scores(community_id);",
        "default": "ALTER TABLE community_scores RENAME TO o; CREATE TABLE community_scores ("
                   "run_id INTEGER NOT NULL REFERENCES runs(run_id), community_id TEXT NOT NULL, "
                   "total REAL NOT NULL DEFAULT 100, stars INTEGER NOT NULL, rank INTEGER NOT "
                   "NULL, PRIMARY KEY (run_id, community_id)); INSERT INTO community_scores "
                   "SELECT * FROM o; DROP TABLE o;",
        "replace": "ALTER TABLE community_scores RENAME TO o; CREATE TABLE community_scores ("
                   "run_id INTEGER NOT NULL REFERENCES runs(run_id), community_id TEXT NOT NULL, "
                   "total REAL NOT NULL, stars INTEGER NOT NULL, rank INTEGER NOT NULL, "
                   "PRIMARY KEY (run_id, community_id) ON CONFLICT REPLACE); INSERT INTO "
                   "community_scores SELECT * FROM o; DROP TABLE o;",
        # These two steer the rows even with triggers off: only the schema
        # check stops them.
        "unique-replace": "ALTER TABLE community_scores RENAME TO o; CREATE TABLE "
                          "community_scores (run_id INTEGER NOT NULL REFERENCES runs(run_id), "
                          "community_id TEXT NOT NULL, total REAL NOT NULL, stars INTEGER NOT "
                          "NULL, rank INTEGER NOT NULL, PRIMARY KEY (run_id, community_id), "
                          "UNIQUE (community_id) ON CONFLICT REPLACE); INSERT INTO "
                          "community_scores SELECT * FROM o; DROP TABLE o;",
        "notnull-replace": "ALTER TABLE indicator_scores RENAME TO o; CREATE TABLE "
                           "indicator_scores (run_id INTEGER NOT NULL REFERENCES runs(run_id), "
                           "community_id TEXT NOT NULL, indicator_id TEXT NOT NULL, value REAL "
                           "NOT NULL ON CONFLICT REPLACE DEFAULT 100, points REAL NOT NULL, "
                           "max_points REAL NOT NULL, status TEXT NOT NULL, PRIMARY KEY (run_id, "
                           "community_id, indicator_id)); INSERT INTO indicator_scores SELECT "
                           "run_id, community_id, indicator_id, coalesce(value, 100), points, "
                           "max_points, status FROM o; DROP TABLE o;",
        "collate": "ALTER TABLE runs RENAME TO o; CREATE TABLE runs (run_id INTEGER PRIMARY KEY, "
                   "started_at TEXT NOT NULL COLLATE NOCASE, finished_at TEXT NOT NULL, "
                   "engine_version TEXT NOT NULL, snapshot_sha256 TEXT NOT NULL, rules_sha256 "
                   "TEXT NOT NULL, as_of TEXT NOT NULL, params TEXT NOT NULL);",
        "extra-column": "ALTER TABLE runs ADD COLUMN x TEXT DEFAULT 'y';",
        "quoted-names": "ALTER TABLE department_stats RENAME TO o; CREATE TABLE "
                        "\"department_stats\" (\"run_id\" INTEGER NOT NULL REFERENCES "
                        "runs(run_id), department TEXT NOT NULL, tasks INTEGER NOT NULL, "
                        "admitted INTEGER NOT NULL, rejected INTEGER NOT NULL, review INTEGER "
                        "NOT NULL, PRIMARY KEY (run_id, department));",
        "shared-page": "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET rootpage = "
                       "(SELECT rootpage FROM sqlite_schema WHERE name = 'indicator_scores') "
                       "WHERE name = 'category_scores';",
        "schema-text": "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = "
                       "replace(sql, 'total REAL NOT NULL', 'total REAL NOT NULL DEFAULT 1') "
                       "WHERE name = 'community_scores';",
        "wal": "PRAGMA journal_mode = WAL; CREATE TABLE z (a);",
        "fts": "CREATE VIRTUAL TABLE s USING fts5(x);",
        "analyze": "ANALYZE;",
        "rows": "UPDATE community_scores SET total = 1; INSERT INTO runs (started_at, "
                "finished_at, engine_version, snapshot_sha256, rules_sha256, as_of, params) "
                "VALUES ('a', 'b', 'c', 'd', 'e', 'f', '{}');",
    }
    for name, sql in seeds.items():
        write("results", name, sql)


def schema_seeds():
    con = sqlite3.connect(os.path.join(ROOT, "fixtures", "small.db"))
    ddl = dict(con.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'table'"))
    indexes = {}
    for table, sql in con.execute("SELECT tbl_name, sql FROM sqlite_schema WHERE type = 'index'"
                                  " AND sql IS NOT NULL ORDER BY name"):
        indexes.setdefault(table, []).append(sql)
    c1, c2 = [r[0] for r in con.execute("SELECT id FROM communities ORDER BY id LIMIT 2")]
    w1 = con.execute("SELECT id FROM workers ORDER BY id LIMIT 1").fetchone()[0]
    con.close()

    def rebuild(table, old, new, columns="*", before=""):
        sql = ddl[table]
        assert old in sql, (table, old)
        created = sql.replace(old, new, 1).replace("CREATE TABLE " + table,
                                                   "CREATE TABLE " + table + "_new", 1)
        target = "" if columns == "*" else " (%s)" % columns
        return ("%sPRAGMA foreign_keys = OFF;\nBEGIN;\n%s;\nINSERT INTO %s_new%s SELECT %s FROM %s;\n"
                "DROP TABLE %s;\nALTER TABLE %s_new RENAME TO %s;\n%s\nCOMMIT;\n"
                % (before, created, table, target, columns, table, table, table, table,
                   "".join(i + ";\n" for i in indexes.get(table, []))))

    def community(new_id):
        return ("INSERT INTO communities SELECT '%s', name || '%s', district, street, area_km2, "
                "population, households, floating_population, minority_population FROM communities "
                "WHERE id = '%s';\n" % (new_id, new_id, c1))

    seeds = {
        "plain": "-- the fixture as it is\n",
        "nocase-reference": community("ZZ1") + community("zz1")
        + "INSERT INTO organizations VALUES ('zz-o1', 'zz1', 'o', 'culture', 1, 1, 'AAA');\n"
        + rebuild("organizations", "community_id TEXT NOT NULL", "community_id TEXT NOT NULL COLLATE NOCASE"),
        "nocase-id": community("a1") + community("B1")
        + "INSERT INTO workers SELECT id || '-a', 'a1', name, birth_date, hire_date, role, education,"
          " cert_level, cert_date, training_hours, score_civil, score_community, score_residents,"
          " status, left_date, left_reason FROM workers WHERE community_id = '%s';\n" % c1
        + rebuild("communities", "id                  TEXT PRIMARY KEY", "id TEXT PRIMARY KEY COLLATE NOCASE"),
        "rtrim-reference": rebuild("workers", "community_id    TEXT NOT NULL", "community_id TEXT NOT NULL COLLATE RTRIM")
        + "UPDATE workers SET community_id = community_id || '  ' WHERE rowid % 2 = 0;\n",
        "index-collation": "CREATE INDEX w_nocase ON workers(community_id COLLATE NOCASE);\n"
        "CREATE INDEX t_rtrim ON tasks(lower(title) COLLATE RTRIM);\n",
        "partial-unique-index": rebuild("communities", "id                  TEXT PRIMARY KEY", "id TEXT NOT NULL")
        + "CREATE UNIQUE INDEX never ON communities(id) WHERE id = 'never';\n"
          "INSERT INTO communities SELECT * FROM communities WHERE id = '%s';\n" % c1,
        "expression-unique-index": rebuild("workers", "id              TEXT PRIMARY KEY", "id TEXT NOT NULL")
        + "CREATE UNIQUE INDEX w_expr ON workers(id || '');\n"
          "INSERT INTO workers SELECT * FROM workers WHERE id = '%s';\n" % w1,
        "unique-index-other-order": rebuild("facts", "PRIMARY KEY (community_id, key)\n) WITHOUT ROWID", "CHECK (1)\n)")
        + "CREATE UNIQUE INDEX f_key ON facts(key DESC, community_id);\n",
        "facts-without-key": "CREATE TABLE f2 AS SELECT * FROM facts WHERE 0;\n"
        "INSERT INTO f2 SELECT community_id, key, 0 FROM facts WHERE community_id = '%s';\n"
        "INSERT INTO f2 SELECT * FROM facts;\nDROP TABLE facts;\nALTER TABLE f2 RENAME TO facts;\n" % c1,
        "visits-without-key": "CREATE TABLE v2 AS SELECT * FROM visits;\n"
        "INSERT INTO v2 SELECT * FROM visits WHERE worker_id = '%s';\n"
        "DROP TABLE visits;\nALTER TABLE v2 RENAME TO visits;\n" % w1,
        "meta-without-key": "CREATE TABLE m2 AS SELECT * FROM snapshot_meta WHERE 0;\n"
        "INSERT INTO m2 VALUES ('as_of', '2024-12-31');\nINSERT INTO m2 SELECT * FROM snapshot_meta;\n"
        "DROP TABLE snapshot_meta;\nALTER TABLE m2 RENAME TO snapshot_meta;\n",
        "infinity": "UPDATE facts SET value = 1e309 WHERE community_id = '%s';\n"
        "UPDATE communities SET area_km2 = -1e309 WHERE id = '%s';\n" % (c1, c2),
        "declared-integer": rebuild("facts", "value        REAL", "value        INTEGER"),
        "declared-numeric": rebuild("communities", "population          INTEGER", "population NUMERIC"),
        "untyped": rebuild("workers", "community_id    TEXT NOT NULL", "community_id NOT NULL"),
        "nul-byte": community("N1") + "INSERT INTO communities SELECT 'N1' || char(0) || 'x', name, "
        "district, street, area_km2, population, households, floating_population, minority_population "
        "FROM communities WHERE id = '%s';\n" % c1,
        "generated": rebuild("communities", "population          INTEGER,",
                             "population INTEGER GENERATED ALWAYS AS (households * 3) VIRTUAL,",
                             "id, name, district, street, area_km2, households, floating_population,"
                             " minority_population"),
        "generated-extra": "ALTER TABLE workers ADD COLUMN total REAL GENERATED ALWAYS AS "
        "(score_civil + score_community) VIRTUAL;\nCREATE INDEX w_total ON workers(total);\n",
        "virtual": "ALTER TABLE tasks RENAME TO tasks_real;\nCREATE VIRTUAL TABLE tasks USING fts5(id, "
        "community_id, department, title, detail, received_on, approval_ref, funded, staffed);\n"
        "INSERT INTO tasks SELECT * FROM tasks_real;\nDROP TABLE tasks_real;\n",
        "without-rowid": rebuild("communities", "minority_population INTEGER             -- 少数民族人口\n)",
                                 "minority_population INTEGER\n) WITHOUT ROWID")
        + "CREATE TABLE r AS SELECT * FROM tasks ORDER BY rowid DESC;\nDELETE FROM tasks;\n"
          "INSERT INTO tasks SELECT * FROM r;\nDROP TABLE r;\n"
          "CREATE INDEX w_desc ON workers(score_civil DESC, community_id DESC);\n",
        "strict": rebuild("organizations", "\n)", "\n) STRICT"),
        "pages": "PRAGMA page_size = 512;\nPRAGMA auto_vacuum = FULL;\nVACUUM;\n"
        "PRAGMA application_id = 7;\nPRAGMA user_version = 9;\n",
        "wal": "PRAGMA journal_mode = WAL;\nUPDATE organizations SET registered = 1;\n",
        "check-and-autoincrement": rebuild("organizations", "rating       TEXT ",
                                           "rating       TEXT CHECK (registered = 2) ",
                                           before="PRAGMA ignore_check_constraints = ON;\n")
        + "CREATE TABLE seq (n INTEGER PRIMARY KEY AUTOINCREMENT);\nINSERT INTO seq VALUES (NULL);\n"
          "ANALYZE;\n",
        "views-and-triggers": "CREATE VIEW v AS SELECT * FROM workers;\n"
        "CREATE TRIGGER t AFTER INSERT ON tasks BEGIN DELETE FROM communities; END;\n"
        "CREATE TABLE extra (x TEXT COLLATE NOCASE);\nCREATE INDEX extra_x ON extra(x);\n",
        "view-in-place": "ALTER TABLE workers RENAME TO workers_real;\n"
        "CREATE VIEW workers AS SELECT * FROM workers_real;\n",
        "text-in-number-column": "UPDATE workers SET training_hours = 'many' WHERE id = '%s';\n" % w1,
        "default-column": "ALTER TABLE communities ADD COLUMN note TEXT DEFAULT 'x' COLLATE NOCASE;\n",
    }
    for name, text in seeds.items():
        write("schema", name, text)


def sql_seeds():
    seeds = {
        "count-active": "SELECT c.id, (SELECT COUNT(*) FROM workers w WHERE w.community_id = c.id "
                        "AND status = 'active') FROM communities c ORDER BY c.id",
        "weeks": "SELECT community_id, COUNT(DISTINCT CAST((julianday(posted_on) - "
                 "julianday('2024-01-01')) / 7 AS INTEGER)) FROM postings GROUP BY community_id "
                 "ORDER BY 1",
        "kaohe-functions": "SELECT id, add_years(birth_date, 45) > '2024-12-31', "
                           "date_valid(hire_date), utf8_bad(name) FROM workers ORDER BY id",
        "date-modifiers": "SELECT date('2024-02-29', '+1 year'), strftime('%Y-%m', hire_date, "
                          "'start of month') FROM workers ORDER BY id",
        "temp-table": "SELECT task_id, decision FROM temp.task_decision ORDER BY task_id",
        "json": "SELECT json_extract('{\"a\":[1,2]}', '$.a[1]'), group_concat(name, '、') "
                "FROM communities",
        "random": "SELECT abs(random()) % 2",
        "clock": "SELECT date('now'), julianday('now', '+1 day'), CURRENT_TIMESTAMP",
        "localtime": "SELECT datetime(hire_date, 'localtime') FROM workers",
        "pragma-function": "SELECT * FROM pragma_table_info('workers')",
        "sqlite-master": "SELECT sql FROM sqlite_master",
        "attach": "ATTACH 'pwned.db' AS pwned",
        "vacuum-into": "VACUUM INTO 'copy.db'",
        "recursive": "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) "
                     "SELECT count(*) FROM r",
        "temp-growth": "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) "
                       "SELECT i FROM r ORDER BY printf('%.100000d', i)",
        "zeroblob": "SELECT zeroblob(999999990) a, zeroblob(999999990) b ORDER BY 1",
        "cross-join": "SELECT count(*) FROM workers a, workers b, workers c, workers d",
    }
    for name, text in seeds.items():
        write("sql", name, text)


# --- dictionaries ---------------------------------------------------------------

DICT = os.path.join(ROOT, "tests", "fuzz", "dict")

RULE_WORDS = """indicator category system param stars target appraisal admission deny allow
define extends set override lin ratio schedule count sum fact community sql name unit max
inputs value score source missing_if invalid_if denominator params hint description kind
pattern department reason messages match_limit depth_limit heap_limit numerator required
scopes empty skip measure group components floors bottom_ratio also total categories
indicators default min type integer date string number region district street duty assist
active certified in_year at_least weeks_in_window as_of year_start year compare.epsilon
cert.milestones stars.five elimination.bottom_ratio local function end return while do for
in if then else elseif repeat until nil true false not and or goto pcall xpcall error
setmetatable getmetatable rawget rawequal rawlen tostring tonumber select pairs ipairs next
string.rep string.format string.find string.gsub table.concat table.sort math.huge utf8.char
_G _ENV __index __newindex __gc __close __metatable <close> <const> ...""".split()

SQL_WORDS = """SELECT FROM WHERE GROUP BY ORDER HAVING LEFT JOIN ON AS AND OR NOT NULL IS IN
BETWEEN CASE WHEN THEN ELSE END COUNT SUM AVG MIN MAX COALESCE IFNULL CAST REAL INTEGER
TEXT julianday date strftime substr length lower upper LIMIT OFFSET UNION WITH RECURSIVE
EXISTS DISTINCT add_years date_valid utf8_bad task_decision communities workers
organizations activities visits postings survey_responses requests tasks facts
snapshot_meta community_id held_on hire_date cert_level cert_date status
ATTACH PRAGMA load_extension randomblob zeroblob""".split()

# What the SQL guard refuses or limits, and how SQL might get around it.
GUARD_WORDS = """random now localtime utc CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP
unixepoch datetime time sqlite_version sqlite_source_id changes total_changes
last_insert_rowid sqlite_offset sqlite_master sqlite_schema sqlite_temp_master
pragma_table_info pragma_database_list json_each dbstat sqlite_stmt DETACH VACUUM INTO
EXPLAIN QUERY PLAN BEGIN COMMIT SAVEPOINT ANALYZE REINDEX INSERT UPDATE DELETE CREATE DROP
TEMP TABLE VIEW TRIGGER INDEX VALUES printf replace hex group_concat json_extract ->
->> glob like ESCAPE MATERIALIZED OVER PARTITION row_number kaohe_sqlguard 'now'
'localtime' 'utc' '+1 day' 'start of year' 999999990 ; ( ) , ' --""".split()

REGEX_WORDS = [r"(?i)", r"(?<=", r"(?<!", r"(?=", r"(?!", r"(?>", r"(?|", r"\p{Han}", r"\w",
               r"\d", r"\b", r"\K", r"(*UTF)", r"(*LIMIT_MATCH=1)", r"(*NO_JIT)", r"(*CR)",
               r"(?1)", r"(?R)", r"\1", r"{0,10}", r"{2,}", r"+?", r"*+", r"[^", r"[:alpha:]",
               r"\x{4e00}", r"\Q", r"\E", r"\N", r"\X", r"\C", r"(?#", r"(*ACCEPT)", r"(*SKIP)",
               r"(*COMMIT)", r"(*MARK:", r"(?C)", r"(?(1)", "APP", "安装", "下载", "注册",
               "客户端", "小程序", "公众号", "挂牌", "入户", "民政局", "协助", "ＡＰＰ"]

PARAM_WORDS = ["=", "{", "}", ":", ",", '"2023"', "1e308", "-0", "nan", "inf", "0x10",
               "1e-320", ".2023", "2200", "1899", '{"2020":0.35}', "null", "[]", "true"]

CSV_WORDS = ["\ufeff", "\r\n", '"', '""', ",", "\n", "id", "community_id", "as_of", "region",
             "2025-12-31", "2023-02-30", "2025-13", "社区编号", "社区名称", "工作者编号",
             "所属社区编号", "键", "值", "active", "left", "secretary", "assistant", "wechat",
             "co_building", "1", "0", "-1", "1e308", "NaN", " ", "\t"]

RESULTS_WORDS = """CREATE TRIGGER VIEW INDEX UNIQUE TABLE VIRTUAL TEMP DROP ALTER RENAME TO ADD
COLUMN AFTER BEFORE INSTEAD OF INSERT UPDATE DELETE ON BEGIN END; FOR EACH ROW NEW. OLD. SET
WHERE DEFAULT COLLATE NOCASE RTRIM CHECK PRIMARY KEY REFERENCES CASCADE CONFLICT REPLACE IGNORE
GENERATED ALWAYS STORED WITHOUT ROWID STRICT PRAGMA writable_schema journal_mode=WAL
foreign_keys recursive_triggers encoding user_version sqlite_schema rootpage ANALYZE
sqlite_stat1 fts5 rtree runs indicator_scores community_scores category_scores target_checks
worker_appraisals task_decisions department_stats run_communities run_indicators
run_categories run_targets run_id total stars rank points status sql""".split()


def dict_line(word):
    out = []
    for b in word.encode("utf-8"):
        if b < 0x20 or b >= 0x7f or b in (0x22, 0x5c):
            out.append("\\x%02X" % b)
        else:
            out.append(chr(b))
    return '"' + "".join(out) + '"\n'


def write_dict(name, words):
    os.makedirs(DICT, exist_ok=True)
    seen = []
    for w in words:
        if w and w not in seen:
            seen.append(w)
    with open(os.path.join(DICT, name + ".dict"), "w") as f:
        f.write("# %s.dict (generated by make_seeds.py)\n" % name)
        for w in seen:
            f.write(dict_line(w))


def param_names():
    names = []
    for path in SHIPPED:
        for m in re.finditer(r'param "([^"]+)"', read(path).decode("utf-8")):
            names.append(m.group(1))
    for m in re.finditer(r'indicator "([A-F]\d\d)"', "".join(read(p).decode() for p in SHIPPED)):
        names += [m.group(1) + s for s in (".max", ".from", ".to", ".target")]
    return names


SCHEMA_WORDS = """CREATE TABLE INDEX UNIQUE VIEW TRIGGER VIRTUAL USING fts5 DROP ALTER RENAME TO
ADD COLUMN PRIMARY KEY NOT NULL DEFAULT CHECK COLLATE NOCASE RTRIM BINARY WITHOUT ROWID STRICT
GENERATED ALWAYS AS STORED AUTOINCREMENT REFERENCES ASC DESC WHERE INSERT INTO VALUES SELECT
FROM UPDATE SET DELETE BEGIN END COMMIT ROLLBACK PRAGMA page_size auto_vacuum journal_mode WAL
DELETE encoding application_id user_version ignore_check_constraints foreign_keys VACUUM
ANALYZE sqlite_stat1 TEXT INTEGER INT REAL NUMERIC BLOB ANY DOUBLE VARCHAR(10) BOOLEAN DATE
1e309 -1e309 char(0) CAST lower upper || rowid communities workers organizations
activities visits postings survey_responses requests tasks facts snapshot_meta id community_id
worker_id key value month as_of region registered population area_km2 score_civil""".split()


XLSX_WORDS = ["<row r=\"", "<c r=\"", "</c>", "</row>", "<v>", "</v>", " t=\"s\"", " t=\"b\"",
              " t=\"e\"", " t=\"d\"", " t=\"str\"", " t=\"inlineStr\"", " s=\"1\"", "<is>", "</is>",
              "<t>", "</t>", "<r>", "</r>", "<rPh>", "<f>", "<si>", "</si>", "<sheetData>",
              "</sheetData>", "<sheet name=\"", " r:id=\"rId1\"", "<numFmt numFmtId=\"164\" ",
              "formatCode=\"", "<cellXfs>", "<xf numFmtId=\"14\"/>", "date1904=\"1\"",
              "<Relationship Id=\"", " Type=\"", " Target=\"", "/worksheet", "/sharedStrings",
              "/styles", "/officeDocument", "<!DOCTYPE", "<!ENTITY", "&amp;", "&#x", "_x000D_",
              "xmlns=\"", "xmlns:x=\"", "x:", "XFD", "1048576", "yyyy", "mm", "hh:mm", "AM/PM",
              "[$-804]", "\"年\"", "#N/A", "PK\x03\x04", "PK\x01\x02", "PK\x05\x06"]


def dicts():
    names = param_names()
    write_dict("rules", RULE_WORDS + SQL_WORDS + ["[[", "]]", "{", "}", '"', "--", "\\"])
    write_dict("admission", REGEX_WORDS)
    write_dict("params", names + PARAM_WORDS)
    write_dict("scenario", ["scenario", "description", "set", "[", "]", "=", "{", "}", "\""]
               + names + RULE_WORDS[:0] + ["while true do end", "1/0", "0/0", "-1e309"])
    write_dict("import", CSV_WORDS)
    write_dict("schema", SCHEMA_WORDS + [";", "(", ")", ",", "'", "\n"])
    write_dict("results", RESULTS_WORDS)
    write_dict("sql", SQL_WORDS + GUARD_WORDS)
    write_dict("xlsx", XLSX_WORDS)


def main():
    if sys.argv[1:] == ["xlsx"]:
        xlsx_seeds()
        write_dict("xlsx", XLSX_WORDS)
        print("xlsx       %3d seeds" % len(os.listdir(os.path.join(CORPUS, "xlsx"))))
        return 0
    if sys.argv[1:] == ["schema"]:
        schema_seeds()
        write_dict("schema", SCHEMA_WORDS + [";", "(", ")", ",", "'", "\n"])
        print("schema     %3d seeds" % len(os.listdir(os.path.join(CORPUS, "schema"))))
        return 0
    rules_seeds()
    snapshot_seeds()
    admission_seeds()
    params_seeds()
    scenario_seeds()
    import_seeds()
    schema_seeds()
    results_seeds()
    sql_seeds()
    xlsx_seeds()
    dicts()
    for h in sorted(os.listdir(CORPUS)):
        print("%-10s %3d seeds" % (h, len(os.listdir(os.path.join(CORPUS, h)))))


if __name__ == "__main__":
    sys.exit(main())
