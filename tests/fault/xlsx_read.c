/*
** tests/fault/xlsx_read.c — the driver of tests/fault/xlsx.sh: reads every
** sheet of a workbook with engine/data/xlsx.c, as an import would.
**
**   xlsx_read BOOK.xlsx     exit 0, or the status (1 input, 3 system) with
**                           "STATUS MESSAGE" on stderr
**
** Linked with xlsx.c and the few base modules it uses, nothing else, so
** that the allocations counted are the reader's, libzip's, zlib's and
** expat's.
*/
#include <stdio.h>

#include "xlsx.h"

int main(int argc, char **argv)
{
    xlsx_book *book = NULL;
    xlsx_sheet *sheet = NULL;
    const xlsx_row *row;
    error e;
    size_t i;
    int status;
    if (argc != 2) {
        fprintf(stderr, "usage: xlsx_read BOOK.xlsx\n");
        return 2;
    }
    error_clear(&e);
    status = xlsx_open(argv[1], NULL, &book, &e);
    for (i = 0; status == ERROR_OK && i < xlsx_sheet_count(book); i++) {
        status = xlsx_sheet_open(book, i, &sheet, &e);
        while (status == ERROR_OK && (status = xlsx_sheet_next(sheet, &row, &e)) == ERROR_OK &&
               row != NULL)
            ;
        xlsx_sheet_close(sheet);
        sheet = NULL;
    }
    xlsx_close(book);
    if (status != ERROR_OK)
        fprintf(stderr, "%d %s\n", status, e.message);
    return status;
}
