/*
** template.h — the workbook a city fills in (kaohe template --xlsx FILE):
** one sheet per snapshot table, named in Chinese, with "中文 english"
** headers that kaohe import reads back; a notes sheet (说明) saying what
** each column holds, its unit, whether it is required and the values it
** takes; drop-down lists of the rules' labels for every enumerated column
** and for yes/no; dates formatted as dates, ids and codes as text. A filled
** template imports without edits.
*/
#ifndef KAOHE_TEMPLATE_H
#define KAOHE_TEMPLATE_H

#include "error.h"
#include "rules.h"

/* Writes the template to `path` (refused when it exists; written whole or
** not at all). `labels`: the rules whose labels the lists offer (may be
** NULL: the codes). */
int template_write(const char *path, const rules *labels, error *e);

#endif
