# Editor support: editor/kaohe.lua (type annotations for the Lua language
# server) must describe exactly the DSL engine/rules/dsl.lua accepts, so completion
# offers every field and nothing the engine would refuse.

editor_check() {
    python3 - "$REPO_ROOT" <<'PY'
import re, sys
root = sys.argv[1]
dsl = open(root + '/engine/rules/dsl.lua', encoding='utf-8').read()
dsl += open(root + '/engine/rules/scenario_dsl.lua', encoding='utf-8').read()
meta = open(root + '/editor/kaohe.lua', encoding='utf-8').read()
pairs = {'SYSTEM_FIELDS': 'kaohe.System', 'CATEGORY_FIELDS': 'kaohe.Category',
         'PARAM_FIELDS': 'kaohe.Param', 'INDICATOR_FIELDS': 'kaohe.Indicator',
         'TARGET_FIELDS': 'kaohe.Target', 'APPRAISAL_FIELDS': 'kaohe.Appraisal',
         'ADMISSION_FIELDS': 'kaohe.Admission', 'ENTRY_FIELDS': 'kaohe.Entry'}
bad = 0
for table, cls in pairs.items():
    m = re.search(r'local %s = \{(.*?)\}\n' % table, dsl, re.S)
    if not m:
        print('no %s in engine/rules/dsl.lua' % table); bad += 1; continue
    accepted = set(re.findall(r'(\w+) = true', m.group(1)))
    c = re.search(r'---@class \(exact\) %s\n((?:---@field .*\n)+)' % re.escape(cls), meta)
    if not c:
        print('no class %s in editor/kaohe.lua' % cls); bad += 1; continue
    annotated = set(re.findall(r'---@field (\w+)', c.group(1)))
    for f in sorted(accepted - annotated):
        print('%s: field %s accepted by the DSL but not annotated' % (cls, f)); bad += 1
    for f in sorted(annotated - accepted):
        print('%s: field %s annotated but refused by the DSL' % (cls, f)); bad += 1
m = re.search(r'local dsl = \{(.*?)\}\n', dsl, re.S)
names = set(re.findall(r'(\w+) =', m.group(1))) | {'scenario'}
declared = set(re.findall(r'^function (\w+)\(', meta, re.M))
for n in sorted(names - declared):
    print('DSL function %s has no annotation' % n); bad += 1
for n in sorted(declared - names):
    print('annotated function %s is not in the DSL' % n); bad += 1
sys.exit(1 if bad else 0)
PY
}

test_editor_annotations_cover_exactly_the_dsl() {
    local out
    out=$(editor_check 2>&1) || fail "editor/kaohe.lua and the DSL differ: $out"
}

test_luarc_points_the_language_server_at_the_annotations() {
    grep -q '"workspace.library": \["editor"\]' "$REPO_ROOT/.luarc.json" || fail ".luarc.json does not load editor/"
    grep -q '"io": "disable"' "$REPO_ROOT/.luarc.json" || fail ".luarc.json leaves io on (the sandbox has none)"
}
