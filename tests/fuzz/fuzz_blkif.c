// libFuzzer target for drivers/block/blkif_ring.c: a hostile blkback. The input is a
// script: the frontend issues requests (reads, writes, flushes, indirect ones that may be
// answered with their inner operation), forgets some (teardown), and the backend writes
// responses of its choosing: the right id or a stale, repeated or invented one, any
// operation and status, and any rsp_prod. The invariants: a request completes at most
// once, only with the id and an operation it was issued with, with the errno its status
// means; an id that is not in flight is never accepted; no index passes what was asked;
// the slot table's count matches a model. Also blkif_check_range against 128-bit math.
// FUZZ-SOURCES: drivers/block/blkif_ring.c
// FUZZ-FLAGS: -max_len=1024
#include "tests/fuzz/fuzz.h"

#include <errno.h>
#include "drivers/block/blkif_ring.h"

#define NSLOTS 32 /* RING_SIZE of a one-page blkif ring */

struct model {
    int busy;
    uint64_t id;
    uint8_t op, alt;
};

static union {
    blkif_sring_t s;
    uint8_t page[4096];
} shared __attribute__((aligned(4096)));

static blkif_front_ring_t front;
static struct blkif_slot slots[NSLOTS];
static struct blkif_inflight t;
static struct model model[NSLOTS];
static uint64_t ids_seen[256]; /* ids the backend wrote, in response order from rsp_cons */
static RING_IDX backend_prod;

static int errno_of(int16_t status, int *err)
{
    if (status == BLKIF_RSP_OKAY)
        *err = 0;
    else if (status == BLKIF_RSP_ERROR)
        *err = -EIO;
    else if (status == BLKIF_RSP_EOPNOTSUPP)
        *err = -EOPNOTSUPP;
    else
        return -1;
    return 0;
}

static void done(void *ctx, uint32_t slot, int err)
{
    RING_IDX *at = ctx;
    struct blkif_response rsp = *RING_GET_RESPONSE(&front, *at);
    int want;
    CHECK(slot < NSLOTS && model[slot].busy);
    CHECK(rsp.id == model[slot].id);
    CHECK(rsp.operation == model[slot].op || rsp.operation == model[slot].alt);
    CHECK(errno_of(rsp.status, &want) == 0 && err == want);
    CHECK(!slots[slot].busy); /* released before the callback */
    model[slot].busy = 0;
    (*at)++;
}

static unsigned int model_busy(void)
{
    unsigned int n = 0;
    for (int i = 0; i < NSLOTS; i++)
        n += model[i].busy;
    return n;
}

static void issue(struct fuzz_in *in)
{
    static const uint8_t ops[] = {BLKIF_OP_READ, BLKIF_OP_WRITE, BLKIF_OP_FLUSH_DISKCACHE,
                                  BLKIF_OP_DISCARD, BLKIF_OP_INDIRECT};
    uint8_t op = ops[fuzz_u8(in) % sizeof(ops)];
    uint8_t alt = op == BLKIF_OP_INDIRECT ? BLKIF_OP_READ : op;
    uint32_t slot;
    uint64_t id;
    if (RING_FULL(&front)) {
        return;
    }
    int rc = blkif_inflight_get(&t, op, alt, &slot, &id);
    if (model_busy() == NSLOTS) {
        CHECK(rc == -ENOSPC);
        return;
    }
    CHECK(rc == 0 && slot < NSLOTS && !model[slot].busy && id == blkif_inflight_id(&t, slot));
    CHECK((uint32_t)id == slot && (id >> 32) != 0);
    model[slot] = (struct model){1, id, op, alt};
    blkif_request_t *req = RING_GET_REQUEST(&front, front.req_prod_pvt);
    if (op == BLKIF_OP_FLUSH_DISKCACHE)
        blkif_build_flush(req, id, op, 0);
    else if (op == BLKIF_OP_DISCARD)
        blkif_build_discard(req, id, 0, fuzz_u16(in), 8, 0);
    else
        req->id = id;
    front.req_prod_pvt++;
    RING_PUSH_REQUESTS(&front);
}

/* The backend answers: an id from a slot's history or anywhere, op and status as it likes. */
static void respond(struct fuzz_in *in)
{
    uint8_t how = fuzz_u8(in);
    uint32_t slot = fuzz_u8(in) % NSLOTS;
    if (backend_prod == front.req_prod_pvt)
        return; /* a slot our next request will overwrite (it may still lie in rsp_prod) */
    struct blkif_response *rsp = (struct blkif_response *)RING_GET_RESPONSE(&front, backend_prod);
    uint64_t id;
    switch (how & 3) {
    case 0:
        id = model[slot].id; /* possibly not busy any more: a repeat */
        break;
    case 1:
        id = model[slot].id - (1ULL << 32); /* an earlier use of the slot */
        break;
    default:
        id = fuzz_u64(in);
    }
    rsp->id = id;
    rsp->operation = how & 4 ? fuzz_u8(in) : model[slot].op;
    rsp->status = how & 8 ? (int16_t)fuzz_u16(in) : BLKIF_RSP_OKAY;
    ids_seen[backend_prod & 255] = id;
    backend_prod++;
    shared.s.rsp_prod = how & 0x80 ? front.rsp_cons + fuzz_u16(in) : backend_prod;
}

/* Returns 0 when the ring was declared broken (the script stops there). */
static int take(void)
{
    RING_IDX at = front.rsp_cons, prod = shared.s.rsp_prod;
    struct blkif_fault fault;
    unsigned int before = model_busy();
    int rc = blkif_take_responses(&front, &t, done, &at, &fault);
    CHECK(at == front.rsp_cons);
    CHECK(t.nr_busy == model_busy());
    if (rc >= 0) {
        CHECK(fault.kind == BLKIF_FAULT_NONE);
        CHECK(before - model_busy() == (unsigned int)rc);
        CHECK(front.rsp_cons == prod);
        return 1;
    }
    CHECK(rc == -EPROTO && fault.kind != BLKIF_FAULT_NONE);
    CHECK(blkif_fault_name(fault.kind) != NULL);
    if (fault.kind == BLKIF_FAULT_PROD) {
        CHECK(fault.index == prod);
        CHECK((RING_IDX)(prod - front.rsp_cons) > (RING_IDX)(front.req_prod_pvt - front.rsp_cons));
        return 0;
    }
    /* The response refused sits at rsp_cons; an id in flight with a good op and status
     * would have been taken. */
    CHECK(fault.index == front.rsp_cons);
    if ((RING_IDX)(backend_prod - fault.index - 1) < 256)
        CHECK(fault.id == ids_seen[fault.index & 255]); /* one the backend wrote */
    uint32_t s = (uint32_t)fault.id;
    int err;
    if (s < NSLOTS && model[s].busy && model[s].id == fault.id)
        CHECK((fault.operation != model[s].op && fault.operation != model[s].alt) ||
              errno_of(fault.status, &err) < 0);
    return 0;
}

static void check_range(struct fuzz_in *in)
{
    uint64_t off = fuzz_u64(in), len = fuzz_u64(in), sectors = fuzz_u64(in);
    uint32_t ss = 1u << (fuzz_u8(in) % 16);
    if (fuzz_u8(in) & 1)
        ss += fuzz_u8(in);
    int ok = ss >= 512 && !(ss & (ss - 1)) && len && !(off % ss) && !(len % ss) &&
             (unsigned __int128)off + len <= (unsigned __int128)sectors * ss;
    CHECK((blkif_check_range(off, len, ss, sectors) == 0) == ok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = {data, size};
    memset(&shared, 0, sizeof(shared));
    memset(model, 0, sizeof(model));
    SHARED_RING_INIT(&shared.s);
    FRONT_RING_INIT(&front, &shared.s, sizeof(shared));
    CHECK(RING_SIZE(&front) == NSLOTS);
    blkif_inflight_init(&t, slots, NSLOTS);
    backend_prod = 0;
    /* Start anywhere: the indices are free-running and wrap. */
    RING_IDX start = fuzz_u32(&in);
    front.req_prod_pvt = front.rsp_cons = start;
    shared.s.req_prod = shared.s.rsp_prod = start;
    shared.s.rsp_event = start + 1;
    backend_prod = start;

    while (in.n) {
        switch (fuzz_u8(&in) % 6) {
        case 0:
        case 1:
            issue(&in);
            break;
        case 2:
            respond(&in);
            break;
        case 3:
            if (!take())
                return 0;
            break;
        case 4: {
            uint32_t s = fuzz_u8(&in) % NSLOTS;
            blkif_inflight_put(&t, s);
            model[s].busy = 0;
            CHECK(t.nr_busy == model_busy());
            break;
        }
        default:
            check_range(&in);
        }
    }
    return 0;
}
