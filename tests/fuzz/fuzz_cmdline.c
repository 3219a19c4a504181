// libFuzzer target for core/cmdline.c: the toolstack's command line (xl cmdline=/extra=,
// start_info) split into words. Every stored word must lie inside the buffer, the words
// must fit in the bytes they came from, and the words quoted back and split again must
// come out the same (a round trip through the documented quoting rules).
// FUZZ-SOURCES: core/cmdline.c
#include "tests/fuzz/fuzz.h"

#include "core/cmdline.h"

#define MAX_LINE  8192
#define MAX_WORDS 64

static char line[MAX_LINE + 1], copy[MAX_LINE + 1], quoted[4 * MAX_LINE + 8];
static char *argv1[MAX_WORDS], *argv2[MAX_WORDS];

/* Quote a word in single quotes, with each ' as '\''. Returns the bytes written. */
static size_t quote(char *out, const char *w)
{
    size_t n = 0;
    out[n++] = '\'';
    for (; *w; w++) {
        if (*w == '\'') {
            memcpy(out + n, "'\\''", 4);
            n += 4;
        } else {
            out[n++] = *w;
        }
    }
    out[n++] = '\'';
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int max = data[0] % (MAX_WORDS + 1);
    size_t len = size - 1 < MAX_LINE ? size - 1 : MAX_LINE;
    memcpy(line, data + 1, len);
    line[len] = '\0';
    memcpy(copy, line, len + 1);
    size_t slen = strlen(line);

    int argc = cmdline_split(line, argv1, max);
    /* A word takes a byte and all but the last a separator: n words need 2n - 1 bytes. */
    CHECK(argc >= 0 && (size_t)argc <= (slen + 1) / 2);
    /* Counting must not depend on how many words are stored. */
    CHECK(cmdline_split(copy, argv2, MAX_WORDS) == argc);

    int stored = argc < max ? argc : max;
    size_t used = 0;
    for (int i = 0; i < stored; i++) {
        size_t wl = strlen(argv1[i]);
        CHECK(argv1[i] >= line && argv1[i] + wl <= line + slen);
        CHECK(i == 0 || argv1[i] > argv1[i - 1]);
        used += wl + 1;
    }
    CHECK(used <= slen + 1);
    if (argc > max || stored == 0)
        return 0;

    /* Words quoted and joined split back into the same words. */
    size_t q = 0;
    for (int i = 0; i < stored; i++) {
        if (i)
            quoted[q++] = ' ';
        q += quote(quoted + q, argv1[i]);
    }
    quoted[q] = '\0';
    int again = cmdline_split(quoted, argv2, MAX_WORDS);
    CHECK(again == stored);
    for (int i = 0; i < stored; i++)
        CHECK(strcmp(argv1[i], argv2[i]) == 0);
    return 0;
}
