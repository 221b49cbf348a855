/*
 * test_publish.c -- a new file appears whole or not at all (publish.h): no
 * file is left behind on any failure, an existing file is never replaced
 * unless asked, and each failure has its one exit class.
 */
#include "unit.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "publish.h"

static char directory[4096];

static void path_of(char *out, size_t size, const char *name)
{
    snprintf(out, size, "%s/%s", directory, name);
}

/* A fresh empty folder for each test. */
static int setup(void **state)
{
    const char *base = getenv("TMPDIR");
    (void)state;
    snprintf(directory, sizeof directory, "%s/kaohe-publish-XXXXXX",
             base != NULL && base[0] != '\0' ? base : "/tmp");
    return mkdtemp(directory) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    DIR *d = opendir(directory);
    struct dirent *entry;
    char path[8192];
    (void)state;
    if (d == NULL)
        return -1;
    while ((entry = readdir(d)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", directory, entry->d_name);
        unlink(path);
    }
    closedir(d);
    return rmdir(directory);
}

/* Names in the folder, sorted and joined with spaces, into out. */
static void listing(char *out, size_t size)
{
    struct dirent **names = NULL;
    int n = scandir(directory, &names, NULL, alphasort), i;
    size_t used = 0;
    out[0] = '\0';
    assert_true(n >= 0);
    for (i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.')
            used += (size_t)snprintf(out + used, size - used, "%s%s", used ? " " : "",
                                     names[i]->d_name);
        free(names[i]);
    }
    free(names);
}

/* The contents of `path` (at most size-1 bytes) into out. */
static void contents(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    assert_non_null(f);
    n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    fclose(f);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_new_file_appears_with_its_bytes_and_nothing_else(void **state)
{
    char path[8192], text[64], names[512];
    error e;
    (void)state;
    path_of(path, sizeof path, "new.txt");
    error_clear(&e);
    assert_int_equal(publish_bytes(path, "hello", 5, 0, &e), ERROR_OK);
    contents(path, text, sizeof text);
    assert_string_equal(text, "hello");
    listing(names, sizeof names);
    assert_string_equal(names, "new.txt");
}

static void test_existing_file_is_refused_as_input_and_kept(void **state)
{
    char path[8192], text[64], names[512];
    publish p;
    error e;
    (void)state;
    path_of(path, sizeof path, "kept.db");
    write_text(path, "keep");
    error_clear(&e);
    assert_int_equal(publish_begin(&p, path, 0, &e), ERROR_INPUT);
    assert_true(p.exists);
    assert_non_null(strstr(e.message, "kept.db"));
    assert_non_null(strstr(e.message, "refusing to overwrite"));
    publish_free(&p);
    contents(path, text, sizeof text);
    assert_string_equal(text, "keep");
    listing(names, sizeof names);
    assert_string_equal(names, "kept.db");
}

static void test_file_that_appears_meanwhile_is_not_replaced(void **state)
{
    char path[8192], text[64], names[512];
    publish p;
    error e;
    (void)state;
    path_of(path, sizeof path, "raced.db");
    error_clear(&e);
    assert_int_equal(publish_begin(&p, path, 0, &e), ERROR_OK);
    assert_int_equal(publish_write(&p, "mine", 4, &e), ERROR_OK);
    write_text(path, "theirs"); /* another process was faster */
    assert_int_equal(publish_commit(&p, &e), ERROR_INPUT);
    assert_true(p.exists);
    publish_free(&p);
    contents(path, text, sizeof text);
    assert_string_equal(text, "theirs");
    listing(names, sizeof names);
    assert_string_equal(names, "raced.db"); /* no temporary left */
}

static void test_overwrite_replaces_when_asked(void **state)
{
    char path[8192], text[64], names[512];
    error e;
    (void)state;
    path_of(path, sizeof path, "book.xlsx");
    write_text(path, "old");
    error_clear(&e);
    assert_int_equal(publish_bytes(path, "new", 3, PUBLISH_OVERWRITE, &e), ERROR_OK);
    contents(path, text, sizeof text);
    assert_string_equal(text, "new");
    listing(names, sizeof names);
    assert_string_equal(names, "book.xlsx");
}

static void test_abandoned_file_leaves_nothing(void **state)
{
    char path[8192], names[512], journal[8300];
    publish p;
    error e;
    (void)state;
    path_of(path, sizeof path, "half.db");
    error_clear(&e);
    assert_int_equal(publish_begin(&p, path, 0, &e), ERROR_OK);
    assert_int_equal(publish_write(&p, "half", 4, &e), ERROR_OK);
    snprintf(journal, sizeof journal, "%s-journal", publish_temporary(&p));
    write_text(journal, "j"); /* SQLite's, beside the temporary */
    listing(names, sizeof names);
    assert_non_null(strstr(names, "half.db.tmp-"));
    publish_free(&p); /* no commit: a failure on the way */
    listing(names, sizeof names);
    assert_string_equal(names, "");
}

static void test_missing_folder_is_input_and_leaves_nothing(void **state)
{
    char path[8192], names[512];
    publish p;
    error e;
    (void)state;
    path_of(path, sizeof path, "no-such-folder/x.db");
    error_clear(&e);
    assert_int_equal(publish_begin(&p, path, 0, &e), ERROR_INPUT);
    assert_false(p.exists);
    assert_non_null(strstr(e.message, "no-such-folder"));
    publish_free(&p);
    assert_int_equal(publish_bytes(path, "x", 1, 0, &e), ERROR_INPUT);
    assert_int_equal(publish_bytes("", "x", 1, 0, &e), ERROR_USAGE);
    listing(names, sizeof names);
    assert_string_equal(names, "");
}

static void test_full_disk_is_a_system_failure(void **state)
{
    char name[] = "/dev/full";
    publish p;
    error e;
    (void)state;
    if (access("/dev/full", W_OK) != 0)
        skip();
    error_clear(&e);
    memset(&p, 0, sizeof p);
    p.path = name; /* a disk that is always full */
    p.fd = open("/dev/full", O_WRONLY);
    assert_true(p.fd >= 0);
    assert_int_equal(publish_write(&p, "x", 1, &e), ERROR_SYSTEM);
    close(p.fd);
}

static void test_stale_temporary_of_a_dead_process_is_removed(void **state)
{
    char path[8192], stale[8300], names[512];
    error e;
    (void)state;
    path_of(path, sizeof path, "results.db");
    /* PID 2^22+1 is above Linux's default pid_max: no such process. */
    snprintf(stale, sizeof stale, "%s.tmp-4194305", path);
    write_text(stale, "left by a killed run");
    error_clear(&e);
    assert_int_equal(publish_bytes(path, "x", 1, 0, &e), ERROR_OK);
    listing(names, sizeof names);
    assert_string_equal(names, "results.db");
}

static void test_locked_temporary_of_a_live_process_is_kept(void **state)
{
    char path[8192], other[8300], names[512];
    error e;
    int fd;
    (void)state;
    path_of(path, sizeof path, "live.db");
    snprintf(other, sizeof other, "%s.tmp-4194305", path);
    write_text(other, "being written");
    fd = open(other, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(flock(fd, LOCK_EX), 0); /* its creator holds it */
    error_clear(&e);
    /* A different open file description: flock() conflicts as with
     * another process. */
    assert_int_equal(publish_bytes(path, "x", 1, 0, &e), ERROR_OK);
    listing(names, sizeof names);
    assert_non_null(strstr(names, "live.db.tmp-4194305"));
    close(fd);
    unlink(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_file_appears_with_its_bytes_and_nothing_else,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_existing_file_is_refused_as_input_and_kept, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_file_that_appears_meanwhile_is_not_replaced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_overwrite_replaces_when_asked, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abandoned_file_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_folder_is_input_and_leaves_nothing, setup,
                                        teardown),
        cmocka_unit_test(test_full_disk_is_a_system_failure),
        cmocka_unit_test_setup_teardown(test_stale_temporary_of_a_dead_process_is_removed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_locked_temporary_of_a_live_process_is_kept, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
