/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ESP packet processing, one packet at a time, in the packet's own buffer.
 *
 * Outbound: inner IP packet at p->data -> append padding (1, 2, 3, ...) and
 * trailer, prepend SPI, sequence number and IV into the headroom, seal with
 * the SA's keyed context (ICV into the tailroom) -> ESP packet at p->data,
 * ready for the UDP socket.
 *
 * Inbound: ESP packet from the UDP socket -> length checks -> replay check
 * (also infers the ESN high bits) -> open (ICV verified first) -> padding
 * check -> replay commit -> p->data moves to the inner packet for the TUN.
 *
 * Each direction in two halves around the seal / open, for the engine's
 * crypto pool (crypto-pool.h): _prepare does what touches the SA (sequence
 * number, IV, replay check) and describes the crypto job, _finish (inbound)
 * checks the padding and moves the replay window once the job is done.
 */
#include "engine/esp.h"

#include <errno.h>
#include <string.h>

#include "common/uip-be.h"

int uip_esp_encap_prepare(struct uip_sa *sa, struct uip_pkt *p, uint8_t next_header,
                          struct uip_crypto_job *job)
{
    struct uip_esp_crypto *c = &sa->crypto;
    uint32_t hdr_len = UIP_ESP_HDR_LEN + c->iv_len;
    uint32_t inner_len = p->len;
    uint32_t pad, pt_len;
    uint8_t *esp, *trailer;

    if (sa->hard_expired)
        return -EKEYEXPIRED;
    /* Never wrap: 2^32 - 1 without ESN, 2^64 - 1 with (RFC 4303 3.3.3). */
    if (sa->seq == (sa->esn ? UINT64_MAX : UINT32_MAX)) {
        sa->hard_expired = true;
        sa->pending_events |= UIP_SA_EVENT_SEQ_EXHAUSTED;
        return -EKEYEXPIRED;
    }

    pad = (c->align - (inner_len + UIP_ESP_TRAILER_LEN) % c->align) % c->align;
    pt_len = inner_len + pad + UIP_ESP_TRAILER_LEN;
    if (uip_pkt_headroom(p) < hdr_len || uip_pkt_tailroom(p) < pad + UIP_ESP_TRAILER_LEN + c->icv_len ||
        hdr_len + pt_len + c->icv_len > UIP_PKT_MAX_LEN)
        return -EMSGSIZE;

    trailer = p->data + inner_len;
    for (uint32_t i = 0; i < pad; i++)
        trailer[i] = (uint8_t)(i + 1);
    trailer[pad] = (uint8_t)pad;
    trailer[pad + 1] = next_header;

    uint64_t seq = sa->seq + 1;
    esp = p->data - hdr_len;
    uip_put32(esp, sa->spi);
    uip_put32(esp + 4, (uint32_t)seq);
    if (uip_esp_crypto_make_iv(c, seq, esp + UIP_ESP_HDR_LEN) < 0)
        return -EIO;

    /* the number is used from here on, sealed or not */
    sa->seq = seq;
    uip_sa_account(sa, inner_len);
    p->data = esp;
    p->len = hdr_len + pt_len + c->icv_len;
    *job = (struct uip_crypto_job){.sa = sa, .crypto = c, .lanes = sa->lanes, .esn = sa->esn,
                                   .esp = esp, .len = pt_len, .seq_hi = (uint32_t)(seq >> 32),
                                   .seal = true};
    return 0;
}

int uip_esp_encap(struct uip_sa *sa, struct uip_pkt *p, uint8_t next_header)
{
    struct uip_crypto_job job;
    int r = uip_esp_encap_prepare(sa, p, next_header, &job);

    if (r < 0)
        return r;
    return uip_esp_seal(&sa->crypto, job.esp, job.len, job.seq_hi, sa->esn) < 0 ? -EIO : 0;
}

int uip_esp_peek_spi(const uint8_t *esp, size_t len, uint32_t *spi)
{
    if (len < UIP_ESP_HDR_LEN)
        return -EINVAL;
    *spi = uip_get32(esp);
    return 0;
}

int uip_esp_decap_prepare(struct uip_sa *sa, struct uip_pkt *p, uint64_t *seq,
                          struct uip_crypto_job *job)
{
    struct uip_esp_crypto *c = &sa->crypto;
    uint32_t hdr_len = UIP_ESP_HDR_LEN + c->iv_len;
    int r;

    if (sa->hard_expired)
        return -EKEYEXPIRED;
    /* header, IV, at least the trailer, ICV */
    if (p->len < hdr_len + UIP_ESP_TRAILER_LEN + c->icv_len)
        return -EINVAL;
    uint32_t pt_len = p->len - hdr_len - c->icv_len;
    if (pt_len % c->align)
        return -EINVAL;

    r = uip_replay_check(&sa->replay, uip_get32(p->data + 4), seq);
    if (r < 0)
        return r == -EINVAL ? -EINVAL : r;
    *job = (struct uip_crypto_job){.sa = sa, .crypto = c, .lanes = sa->lanes, .esn = sa->esn,
                                   .esp = p->data, .len = p->len,
                                   .seq_hi = (uint32_t)(*seq >> 32), .seal = false};
    return 0;
}

int uip_esp_decap_finish(struct uip_sa *sa, struct uip_pkt *p, uint64_t seq,
                         uint8_t *next_header)
{
    struct uip_esp_crypto *c = &sa->crypto;
    uint32_t hdr_len = UIP_ESP_HDR_LEN + c->iv_len;
    uint32_t pt_len = p->len - hdr_len - c->icv_len;
    int r;

    const uint8_t *pt = p->data + hdr_len;
    uint8_t pad = pt[pt_len - 2];
    if ((uint32_t)pad + UIP_ESP_TRAILER_LEN > pt_len)
        return -EPROTO;
    const uint8_t *padding = pt + pt_len - UIP_ESP_TRAILER_LEN - pad;
    for (uint32_t i = 0; i < pad; i++)
        if (padding[i] != (uint8_t)(i + 1))
            return -EPROTO;

    /* Authentic: only now may the window move (RFC 4303 3.4.3). */
    r = uip_replay_commit(&sa->replay, seq);
    if (r < 0)
        return r;

    *next_header = pt[pt_len - 1];
    p->data += hdr_len;
    p->len = pt_len - UIP_ESP_TRAILER_LEN - pad;
    uip_sa_account(sa, p->len);
    return 0;
}

int uip_esp_decap(struct uip_sa *sa, struct uip_pkt *p, uint8_t *next_header)
{
    struct uip_crypto_job job;
    uint64_t seq;
    int r = uip_esp_decap_prepare(sa, p, &seq, &job);

    if (r < 0)
        return r;
    r = uip_esp_open(&sa->crypto, job.esp, job.len, job.seq_hi, sa->esn);
    if (r < 0)
        return r;
    return uip_esp_decap_finish(sa, p, seq, next_header);
}

enum uip_drop uip_esp_drop_reason(int err)
{
    switch (err) {
    case -EALREADY:
    case -ESTALE:
        return UIP_DROP_REPLAY;
    case -EBADMSG:
        return UIP_DROP_ICV;
    case -EPROTO:
        return UIP_DROP_PADDING;
    case -EKEYEXPIRED:
        return UIP_DROP_EXPIRED;
    case -EMSGSIZE:
        return UIP_DROP_TOO_BIG;
    case -EIO:
        return UIP_DROP_IO;
    default:
        return UIP_DROP_MALFORMED;
    }
}
