/*
** query.h — running rule queries: binding the ?N values a rule's SQL needs
** (snapshot built-ins and parameters) and remembering which parameter values
** a query ran with, so a what-if re-runs only the queries whose values
** changed.
*/
#ifndef KAOHE_QUERY_H
#define KAOHE_QUERY_H

#include <sqlite3.h>
#include <stdbool.h>

#include "params.h"
#include "rules.h"
#include "snapshot.h"

/* Binds every value; returns an SQLite result code. */
int query_bind(sqlite3_stmt *statement, const rules_bind *binds, size_t count, const snapshot *s,
               const params *ps);

/* Copies the current values of the bound parameters into *bound (allocated
** on first use; free with query_forget): ERROR_OK, or ERROR_SYSTEM out of memory. */
int query_remember(param_value **bound, const rules_bind *binds, size_t count, const params *ps);

/* True when a bound parameter's value differs from what was remembered. */
bool query_changed(const param_value *bound, const rules_bind *binds, size_t count,
                   const params *ps);

void query_forget(param_value *bound, size_t count);

#endif
