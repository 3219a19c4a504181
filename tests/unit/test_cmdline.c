// Host tests for core/cmdline.c: cmdline_split against each quoting rule in cmdline.h
// (separators, '...', "..." with \" and \\, backslash, empty words, unterminated
// quotes), the argv limit (checked with canaries) and a 64 KiB line of 10,000 words.
// UNIT-SOURCES: core/cmdline.c
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/cmdline.h"

#define ARGV_SLOTS 16

static char canary;
#define CANARY (&canary) /* never a word: words point into the line */

/*
 * Split a copy of line (in a buffer with guard bytes on both sides) with room for
 * max words, and check the count and every stored word. want is NULL-terminated.
 */
static void check_split(const char *line, int max, int want_count, const char *const *want,
                        const char *file, int line_no)
{
    size_t len = strlen(line);
    char *buf = malloc(len + 3);
    char *argv[ARGV_SLOTS + 2];

    assert_non_null(buf);
    assert_true(max <= ARGV_SLOTS);
    buf[0] = '#';
    memcpy(buf + 1, line, len + 1);
    buf[len + 2] = '#';
    for (int i = 0; i < ARGV_SLOTS + 2; i++)
        argv[i] = CANARY;

    int n = cmdline_split(buf + 1, argv + 1, max);

    int ok = n == want_count;
    int stored = want_count < max ? want_count : max;
    for (int i = 0; ok && i < stored; i++)
        ok = argv[1 + i] != CANARY && argv[1 + i] >= buf + 1 && argv[1 + i] <= buf + 1 + len &&
             strcmp(argv[1 + i], want[i]) == 0;
    /* Nothing outside argv[0 .. min(count, max)) written; the line's guards intact. */
    for (int i = stored; ok && i < ARGV_SLOTS + 1; i++)
        ok = argv[1 + i] == CANARY;
    ok = ok && argv[0] == CANARY && buf[0] == '#' && buf[len + 2] == '#';
    if (!ok) {
        print_message("line: \"%s\" max %d\n", line, max);
        print_message("want %d words:", want_count);
        for (int i = 0; i < stored; i++)
            print_message(" [%s]", want[i]);
        print_message("\ngot %d words:", n);
        for (int i = 0; i < (n < max ? n : max) && i < ARGV_SLOTS; i++)
            print_message(" [%s]", argv[1 + i] == CANARY ? "(canary)" : argv[1 + i]);
        print_message("\n");
        free(buf);
        _fail(file, line_no);
    }
    free(buf);
}

/* SPLIT("line", "word", ...): splits into exactly these words (room for ARGV_SLOTS). */
#define SPLIT(line, ...)                                                                           \
    do {                                                                                           \
        const char *const want_[] = {__VA_ARGS__ __VA_OPT__(, ) NULL};                             \
        check_split((line), ARGV_SLOTS, (int)(sizeof(want_) / sizeof(want_[0])) - 1, want_,        \
                    __FILE__, __LINE__);                                                           \
    } while (0)

/* ---- separators ---- */

static void empty_string_has_no_words(void **state)
{
    SPLIT("");
}

static void only_separators_have_no_words(void **state)
{
    SPLIT(" ");
    SPLIT("   \t\t \n\n  \t\n ");
}

static void single_word(void **state)
{
    SPLIT("hello", "hello");
}

static void spaces_separate_words(void **state)
{
    SPLIT("a bb ccc", "a", "bb", "ccc");
}

static void tabs_and_newlines_separate_words(void **state)
{
    SPLIT("a\tb\nc", "a", "b", "c");
    SPLIT("one\t\ttwo\n\nthree \t\n four", "one", "two", "three", "four");
}

static void carriage_return_also_separates(void **state)
{
    /* Not in cmdline.h's list, but a CRLF config file must not leave \r in a word. */
    SPLIT("a\r\nb\r", "a", "b");
}

static void leading_and_trailing_separators_ignored(void **state)
{
    SPLIT("   lead", "lead");
    SPLIT("trail   ", "trail");
    SPLIT(" \t both \n", "both");
    SPLIT("\n x \t y \n", "x", "y");
}

static void words_point_into_the_line_in_order(void **state)
{
    char line[] = "console=hvc0 -- app arg";
    char *argv[4];
    assert_int_equal(cmdline_split(line, argv, 4), 4);
    assert_ptr_equal(argv[0], line);
    assert_ptr_equal(argv[1], line + 13);
    assert_ptr_equal(argv[2], line + 16);
    assert_ptr_equal(argv[3], line + 20);
    assert_string_equal(argv[0], "console=hvc0");
    assert_string_equal(argv[1], "--");
    assert_string_equal(argv[2], "app");
    assert_string_equal(argv[3], "arg");
}

/* ---- single quotes ---- */

static void single_quotes_keep_separators(void **state)
{
    SPLIT("'a b'", "a b");
    SPLIT("x 'tab\there' 'new\nline' y", "x", "tab\there", "new\nline", "y");
}

static void single_quotes_keep_backslashes_and_double_quotes(void **state)
{
    SPLIT("'a\\b'", "a\\b");
    SPLIT("'\\'", "\\");
    SPLIT("'say \"hi\"'", "say \"hi\"");
    SPLIT("'\\\\n'", "\\\\n");
}

/* ---- double quotes ---- */

static void double_quotes_keep_separators(void **state)
{
    SPLIT("\"a b\"", "a b");
    SPLIT("\"  \t \"", "  \t ");
}

static void double_quotes_escape_quote_and_backslash(void **state)
{
    SPLIT("\"a\\\"b\"", "a\"b");          /* "a\"b"  -> a"b */
    SPLIT("\"a\\\\b\"", "a\\b");          /* "a\\b"  -> a\b */
    SPLIT("\"\\\\\\\"\"", "\\\"");        /* "\\\""  -> \"  */
    SPLIT("\"end\\\\\" x", "end\\", "x"); /* "end\\" x: the quote after \\ closes */
}

static void double_quotes_keep_other_backslashes(void **state)
{
    SPLIT("\"a\\nb\"", "a\\nb"); /* "a\nb" -> a\nb, no newline */
    SPLIT("\"a\\ b\"", "a\\ b"); /* "a\ b" -> a\ b */
    SPLIT("\"\\'\"", "\\'");     /* "\'"   -> \'   */
    SPLIT("\"C:\\dir\"", "C:\\dir");
}

static void double_quotes_keep_single_quotes(void **state)
{
    SPLIT("\"it's\"", "it's");
}

/* ---- backslash outside quotes ---- */

static void backslash_makes_separator_literal(void **state)
{
    SPLIT("a\\ b", "a b");
    SPLIT("a\\\tb c", "a\tb", "c");
    SPLIT("a\\\nb", "a\nb");
}

static void backslash_makes_quotes_literal(void **state)
{
    SPLIT("\\'a\\'", "'a'");
    SPLIT("\\\"a\\\"", "\"a\"");
    SPLIT("it\\'s", "it's");
}

static void backslash_escapes_backslash_and_ordinary_chars(void **state)
{
    SPLIT("a\\\\b", "a\\b");
    SPLIT("\\a\\b", "ab");
}

static void trailing_backslash_is_kept(void **state)
{
    /* Nothing follows it to make literal: the backslash itself stays. */
    SPLIT("a\\", "a\\");
    SPLIT("\\", "\\");
    SPLIT("x \\", "x", "\\");
}

/* ---- empty words ---- */

static void empty_double_quotes_make_empty_word(void **state)
{
    SPLIT("\"\"", "");
    SPLIT("a \"\" b", "a", "", "b");
}

static void empty_single_quotes_make_empty_word(void **state)
{
    SPLIT("''", "");
    SPLIT("a '' b", "a", "", "b");
    SPLIT("'' '' ''", "", "", "");
    SPLIT("  ''  ", "");
}

static void empty_quotes_next_to_text_add_nothing(void **state)
{
    SPLIT("a''b", "ab");
    SPLIT("\"\"x", "x");
    SPLIT("x\"\"", "x");
}

/* ---- unterminated quotes ---- */

static void unterminated_single_quote_runs_to_end(void **state)
{
    SPLIT("'abc def", "abc def");
    SPLIT("x 'abc  \"def\\", "x", "abc  \"def\\");
    SPLIT("'", "");
}

static void unterminated_double_quote_runs_to_end(void **state)
{
    SPLIT("\"abc def", "abc def");
    SPLIT("x \"a\\\"b c", "x", "a\"b c");
    SPLIT("\"", "");
    SPLIT("\"ends in backslash\\", "ends in backslash\\");
}

/* ---- quotes inside words ---- */

static void words_adjacent_to_quotes_join(void **state)
{
    SPLIT("a\"b c\"d", "ab cd");
    SPLIT("a'b c'd", "ab cd");
    SPLIT("\"a\"'b'c", "abc");
    SPLIT("key=\"two words\" next", "key=two words", "next");
    SPLIT("--opt='x y'z\\ w last", "--opt=x yz w", "last");
}

static void mixed_realistic_line(void **state)
{
    SPLIT("console=hvc0 loglevel=7 -- ./app -n 3 --name \"my app\" 'a b' c\\ d \"\"",
          "console=hvc0", "loglevel=7", "--", "./app", "-n", "3", "--name", "my app", "a b", "c d",
          "");
}

/* ---- argv limit ---- */

static void more_words_than_max_counts_all_stores_max(void **state)
{
    const char *const want[] = {"a", "bb", "ccc"};
    check_split("a bb ccc dddd e", 3, 5, want, __FILE__, __LINE__);
    check_split(" 'x y' \"z\" w v u ", 2, 5, (const char *const[]){"x y", "z"}, __FILE__, __LINE__);
}

static void max_zero_counts_words_stores_none(void **state)
{
    check_split("one two three", 0, 3, NULL, __FILE__, __LINE__);
    check_split("", 0, 0, NULL, __FILE__, __LINE__);
}

static void exactly_max_words_fill_argv(void **state)
{
    const char *const want[] = {"1", "2", "3", "4"};
    check_split("1 2 3 4", 4, 4, want, __FILE__, __LINE__);
}

static void negative_max_stores_nothing(void **state)
{
    char line[] = "a b";
    char *argv[2] = {CANARY, CANARY};
    assert_int_equal(cmdline_split(line, argv + 1, -1), 2);
    assert_ptr_equal(argv[0], CANARY);
    assert_ptr_equal(argv[1], CANARY);
}

static void words_beyond_max_do_not_touch_argv_heap_block(void **state)
{
    /* argv exactly max long on the heap: ASan catches any write past it. */
    char line[] = "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9";
    char **argv = malloc(3 * sizeof(*argv));
    assert_non_null(argv);
    assert_int_equal(cmdline_split(line, argv, 3), 10);
    assert_string_equal(argv[0], "w0");
    assert_string_equal(argv[1], "w1");
    assert_string_equal(argv[2], "w2");
    free(argv);
}

/* ---- a long line ---- */

#define LONG_LEN   65536 /* bytes including the terminating NUL */
#define LONG_WORDS 10000

static void long_line_of_ten_thousand_words(void **state)
{
    char *line = malloc(LONG_LEN);
    char **argv = malloc(LONG_WORDS * sizeof(*argv));
    char(*want)[16] = malloc(LONG_WORDS * sizeof(*want));
    static const char *const seps[] = {" ", "\t", "\n", "  "};
    size_t at = 0;

    assert_non_null(line);
    assert_non_null(argv);
    assert_non_null(want);
    for (int i = 0; i < LONG_WORDS; i++) {
        char word[32];
        switch (i % 10) {
        case 3: /* 'q NNNN' -> q NNNN */
            snprintf(word, sizeof(word), "'q %04d'", i);
            snprintf(want[i], sizeof(want[i]), "q %04d", i);
            break;
        case 6: /* "d\"NNNN" -> d"NNNN */
            snprintf(word, sizeof(word), "\"d\\\"%04d\"", i);
            snprintf(want[i], sizeof(want[i]), "d\"%04d", i);
            break;
        case 9: /* b\ NNNN -> b NNNN */
            snprintf(word, sizeof(word), "b\\ %04d", i);
            snprintf(want[i], sizeof(want[i]), "b %04d", i);
            break;
        default:
            snprintf(word, sizeof(word), "%04d", i);
            snprintf(want[i], sizeof(want[i]), "%04d", i);
        }
        const char *sep = i == 0 ? "" : seps[i % 4];
        size_t wl = strlen(word), sl = strlen(sep);
        assert_true(at + sl + wl < LONG_LEN);
        memcpy(line + at, sep, sl);
        memcpy(line + at + sl, word, wl);
        at += sl + wl;
    }
    /* Pad to exactly 64 KiB with separators. */
    assert_true(at < LONG_LEN - 1);
    for (; at < LONG_LEN - 1; at++)
        line[at] = at % 2 ? ' ' : '\t';
    line[at] = '\0';
    assert_int_equal(strlen(line), LONG_LEN - 1);

    assert_int_equal(cmdline_split(line, argv, LONG_WORDS), LONG_WORDS);
    for (int i = 0; i < LONG_WORDS; i++) {
        assert_true(argv[i] >= line && argv[i] < line + LONG_LEN);
        assert_string_equal(argv[i], want[i]);
    }
    free(want);
    free(argv);
    free(line);
}

static void long_line_with_small_argv(void **state)
{
    char *line = malloc(LONG_LEN);
    char *argv[4] = {CANARY, CANARY, CANARY, CANARY};

    assert_non_null(line);
    /* "x x x ... x": 32,768 one-letter words in 64 KiB. */
    for (int i = 0; i < LONG_LEN - 1; i++)
        line[i] = i % 2 ? ' ' : 'x';
    line[LONG_LEN - 1] = '\0';
    assert_int_equal(cmdline_split(line, argv + 1, 2), LONG_LEN / 2);
    assert_ptr_equal(argv[0], CANARY);
    assert_string_equal(argv[1], "x");
    assert_string_equal(argv[2], "x");
    assert_ptr_equal(argv[3], CANARY);
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_string_has_no_words),
        cmocka_unit_test(only_separators_have_no_words),
        cmocka_unit_test(single_word),
        cmocka_unit_test(spaces_separate_words),
        cmocka_unit_test(tabs_and_newlines_separate_words),
        cmocka_unit_test(carriage_return_also_separates),
        cmocka_unit_test(leading_and_trailing_separators_ignored),
        cmocka_unit_test(words_point_into_the_line_in_order),
        cmocka_unit_test(single_quotes_keep_separators),
        cmocka_unit_test(single_quotes_keep_backslashes_and_double_quotes),
        cmocka_unit_test(double_quotes_keep_separators),
        cmocka_unit_test(double_quotes_escape_quote_and_backslash),
        cmocka_unit_test(double_quotes_keep_other_backslashes),
        cmocka_unit_test(double_quotes_keep_single_quotes),
        cmocka_unit_test(backslash_makes_separator_literal),
        cmocka_unit_test(backslash_makes_quotes_literal),
        cmocka_unit_test(backslash_escapes_backslash_and_ordinary_chars),
        cmocka_unit_test(trailing_backslash_is_kept),
        cmocka_unit_test(empty_double_quotes_make_empty_word),
        cmocka_unit_test(empty_single_quotes_make_empty_word),
        cmocka_unit_test(empty_quotes_next_to_text_add_nothing),
        cmocka_unit_test(unterminated_single_quote_runs_to_end),
        cmocka_unit_test(unterminated_double_quote_runs_to_end),
        cmocka_unit_test(words_adjacent_to_quotes_join),
        cmocka_unit_test(mixed_realistic_line),
        cmocka_unit_test(more_words_than_max_counts_all_stores_max),
        cmocka_unit_test(max_zero_counts_words_stores_none),
        cmocka_unit_test(exactly_max_words_fill_argv),
        cmocka_unit_test(negative_max_stores_nothing),
        cmocka_unit_test(words_beyond_max_do_not_touch_argv_heap_block),
        cmocka_unit_test(long_line_of_ten_thousand_words),
        cmocka_unit_test(long_line_with_small_argv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
