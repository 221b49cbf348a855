/*
** params_list.h — the parameters of a run as a list people and programs
** read: kaohe params --json and the workbench's parameter panel.
*/
#ifndef KAOHE_PARAMS_LIST_H
#define KAOHE_PARAMS_LIST_H

#include <jansson.h>

#include "params.h"

/* [{name, type, value, min?, max?, unit?, source, description, defined_at,
** overridden}], in the rules' order; NULL when out of memory. The caller
** owns the reference. */
json_t *params_list_json(const params *ps);

#endif
