/*
 * unit.h -- common includes of every kaohe unit test (cmocka needs stdarg.h,
 * stddef.h, stdint.h and setjmp.h before cmocka.h).
 */
#ifndef KAOHE_UNIT_H
#define KAOHE_UNIT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#endif /* KAOHE_UNIT_H */
