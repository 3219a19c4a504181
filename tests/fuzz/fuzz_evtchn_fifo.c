// libFuzzer target for drivers/xen/evtchn_fifo_queue.c: the FIFO event queues walked
// against hostile links. The input fills the event array (one or two pages of event
// words with any flags and LINKs: cycles, links past the array, to unlinked words) and the
// control block (READY bits, HEADs), then a script interleaves the consumer with "Xen"
// scribbling on words, HEADs and READY. Every port handed out must have been linked,
// pending and unmasked just before, now with PENDING and LINKED clear; -EIO must name the
// bad port and count it; masked events stay pending. Once the scribbling stops, the walk
// must come to "empty" within a bound set by the words that were linked.
// FUZZ-SOURCES: drivers/xen/evtchn_fifo_queue.c
// FUZZ-FLAGS: -max_len=2048
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include "drivers/xen/evtchn_fifo_queue.h"

#define WPP    EVTCHN_FIFO_WORDS_PER_PAGE
#define LINK   EVTCHN_FIFO_LINK_MASK
#define BIT(b) (1u << (b))

/* The event array (one or two pages) and the words as the harness last saw or wrote them:
 * after each consumer call only the words that differ from the shadow are checked, and
 * every one of the array's words is compared, not only those the script named. */
static event_word_t words[2 * WPP] __attribute__((aligned(4096)));
static event_word_t shadow[2 * WPP];
static struct evtchn_fifo_control_block cb;
static struct evtchn_fifo_array array;
static struct evtchn_fifo_queue q;
static uint32_t nports;
static uint32_t hi; /* words at and above stay zero: the script never named them */

/* Mostly a few low ports (so links meet), some anywhere in or past the array. */
static uint32_t take_port(struct fuzz_in *in)
{
    uint32_t p = fuzz_u16(in);
    p = p & 0x8000 ? p & LINK : p & 0x4000 ? p % (nports + 4) : p % 64;
    if (p < nports && p >= hi)
        hi = p + 1;
    return p;
}

static event_word_t *word(uint32_t port)
{
    return port < nports ? &words[port] : NULL;
}

/* The harness writes a word the way Xen or the driver would: the shadow follows. */
static void wrote(uint32_t port)
{
    if (port < nports)
        shadow[port] = words[port];
}

/* The first port at or after p whose word is not its shadow, or nports. This runs after
 * every call over the whole array, so it is kept cheap: blocks of 16 words compared with
 * an OR of XORs, only a block that differs walked, and no coverage hooks (they cost ten
 * times the compare, and the harness's own branches are no coverage worth having). */
#define BLOCK 16
_Static_assert(WPP % BLOCK == 0, "blocks tile the array");
__attribute__((no_sanitize("coverage", "address", "undefined"))) static uint32_t
next_changed(uint32_t p)
{
    for (; p < nports && p % BLOCK; p++)
        if (words[p] != shadow[p])
            return p;
    for (; p < nports; p += BLOCK) {
        const event_word_t *a = words + p, *b = shadow + p;
        event_word_t d = 0;
        for (size_t i = 0; i < BLOCK; i++)
            d |= a[i] ^ b[i];
        if (d)
            break;
    }
    for (; p < nports; p++)
        if (words[p] != shadow[p])
            return p;
    return nports;
}

/* One call of the consumer, checked against the words as they were before it. */
static int step(void)
{
    evtchn_port_t port = 0x12345;
    uint64_t corrupt = q.corrupt;
    int rc = evtchn_fifo_queue_next(&q, &port);
    CHECK(rc == 1 || rc == 0 || rc == -EAGAIN || rc == -EIO);
    if (rc == 1) {
        CHECK(port != 0 && port < hi);
        event_word_t was = shadow[port], now = *word(port);
        CHECK((was & BIT(EVTCHN_FIFO_LINKED)) && (was & BIT(EVTCHN_FIFO_PENDING)) &&
              !(was & BIT(EVTCHN_FIFO_MASKED)));
        CHECK(!(now & BIT(EVTCHN_FIFO_PENDING)) && !(now & BIT(EVTCHN_FIFO_LINKED)) &&
              (now & LINK) == 0);
    } else if (rc == -EIO) {
        CHECK(q.corrupt == corrupt + 1 && port <= LINK);
    } else if (rc == 0) {
        CHECK(q.ready == 0 && cb.ready == 0 && !evtchn_fifo_queue_has_work(&q));
    }
    /* The consumer only clears PENDING (of what it hands out), LINKED and LINK; in any
     * word of the array, named by the script or not. */
    for (uint32_t p = next_changed(0); p < nports; p = next_changed(p + 1)) {
        event_word_t w = words[p], b = shadow[p];
        CHECK((w & ~b) == 0);
        CHECK((w & ~(BIT(EVTCHN_FIFO_PENDING) | BIT(EVTCHN_FIFO_LINKED) | LINK)) ==
              (b & ~(BIT(EVTCHN_FIFO_PENDING) | BIT(EVTCHN_FIFO_LINKED) | LINK)));
        CHECK((w & LINK) == 0 && !(w & BIT(EVTCHN_FIFO_LINKED)));
        if (!(w & BIT(EVTCHN_FIFO_PENDING)) && (b & BIT(EVTCHN_FIFO_PENDING)))
            CHECK(rc == 1 && p == port);
        shadow[p] = w;
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    uint8_t setup = fuzz_u8(&in);
    memset(words, 0, sizeof(words));
    memset(shadow, 0, sizeof(shadow));
    memset(&cb, 0, sizeof(cb));
    evtchn_fifo_array_init(&array);
    CHECK(evtchn_fifo_array_nr_ports(&array) == 0 && evtchn_fifo_word(&array, 1) == NULL);
    for (int i = 0; i <= (setup & 1); i++)
        CHECK(evtchn_fifo_array_add_page(&array, words + i * WPP) == 0);
    nports = evtchn_fifo_array_nr_ports(&array);
    CHECK(nports == WPP * (1u + (setup & 1)));
    CHECK(evtchn_fifo_word(&array, nports) == NULL && evtchn_fifo_word(&array, nports - 1));
    evtchn_fifo_queue_init(&q, &cb, &array);
    hi = 0;

    /* Words: n assignments of flags and a link; HEADs; READY. */
    unsigned int n = fuzz_u8(&in);
    for (unsigned int i = 0; i < n && in.n; i++) {
        uint32_t p = take_port(&in);
        uint8_t flags = fuzz_u8(&in);
        uint32_t link = flags & 0x10 ? take_port(&in) : 0;
        if (word(p)) {
            *word(p) = (event_word_t)(flags & 0xf) << 28 | link;
            wrote(p);
        }
    }
    for (int i = 0; i < EVTCHN_FIFO_MAX_QUEUES; i++)
        cb.head[i] = setup & 2 ? take_port(&in) : 0;
    cb.ready = fuzz_u16(&in);

    while (in.n) {
        uint8_t op = fuzz_u8(&in);
        if (op < 160) {
            step();
        } else if (op < 200) {
            uint32_t p = take_port(&in);
            uint32_t v = fuzz_u32(&in);
            if (word(p)) {
                *word(p) = v;
                wrote(p);
            }
        } else if (op < 230) {
            int prio = fuzz_u8(&in) % EVTCHN_FIFO_MAX_QUEUES;
            cb.head[prio] = take_port(&in);
            cb.ready |= 1u << prio;
        } else {
            /* The guest's own word helpers, as the driver uses them. */
            uint32_t p = take_port(&in);
            event_word_t *w = word(p);
            if (w) {
                event_word_t b = *w;
                if (op & 1) {
                    evtchn_fifo_word_mask(w);
                    CHECK(evtchn_fifo_word_is_masked(w) &&
                          (*w & ~BIT(EVTCHN_FIFO_MASKED)) == (b & ~BIT(EVTCHN_FIFO_MASKED)));
                } else {
                    bool hyp = evtchn_fifo_word_unmask(w);
                    if (b & BIT(EVTCHN_FIFO_BUSY))
                        CHECK(hyp && *w == b);
                    else
                        CHECK(!evtchn_fifo_word_is_masked(w) &&
                              (*w & ~BIT(EVTCHN_FIFO_MASKED)) == (b & ~BIT(EVTCHN_FIFO_MASKED)) &&
                              hyp == !!(b & BIT(EVTCHN_FIFO_PENDING)));
                }
                wrote(p);
            }
        }
    }

    /* No more scribbling: the walk must end. Each call unlinks a word or drops a queue,
     * and -EAGAIN only comes after EVTCHN_FIFO_QUEUE_BUDGET of those. */
    unsigned int linked = 0;
    for (uint32_t p = 0; p < hi; p++)
        linked += !!(*word(p) & BIT(EVTCHN_FIFO_LINKED));
    unsigned int bound = linked + 2 * EVTCHN_FIFO_MAX_QUEUES + 2, calls = 0;
    for (;;) {
        int rc = step();
        if (rc == 0)
            break;
        CHECK(++calls <= bound);
    }
    return 0;
}
