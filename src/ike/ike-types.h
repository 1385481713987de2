/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IKEv2 protocol numbers (RFC 7296 and the IANA "IKEv2 Parameters"
 * registry) and the in-memory forms shared by the IKE modules.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IKE_HDR_LEN         28
#define IKE_GENERIC_HDR_LEN 4
#define IKE_VERSION         0x20
#define IKE_MAX_MSG_LEN     65535

/* Exchange types */
enum {
    IKE_SA_INIT = 34,
    IKE_AUTH = 35,
    IKE_CREATE_CHILD_SA = 36,
    IKE_INFORMATIONAL = 37,
};

/* Header flags */
enum {
    IKE_FLAG_INITIATOR = 0x08,
    IKE_FLAG_VERSION = 0x10,
    IKE_FLAG_RESPONSE = 0x20,
};

/* Payload types */
enum {
    IKE_PL_NONE = 0,
    IKE_PL_SA = 33,
    IKE_PL_KE = 34,
    IKE_PL_IDI = 35,
    IKE_PL_IDR = 36,
    IKE_PL_CERT = 37,
    IKE_PL_CERTREQ = 38,
    IKE_PL_AUTH = 39,
    IKE_PL_NONCE = 40,
    IKE_PL_NOTIFY = 41,
    IKE_PL_DELETE = 42,
    IKE_PL_VENDOR = 43,
    IKE_PL_TSI = 44,
    IKE_PL_TSR = 45,
    IKE_PL_SK = 46,
    IKE_PL_CP = 47,
    IKE_PL_EAP = 48,
    IKE_PL_SKF = 53, /* RFC 7383 encrypted fragment */
};

/* Protocol IDs */
enum {
    IKE_PROTO_IKE = 1,
    IKE_PROTO_AH = 2,
    IKE_PROTO_ESP = 3,
};

/* Transform types */
enum {
    IKE_TRANS_ENCR = 1,
    IKE_TRANS_PRF = 2,
    IKE_TRANS_INTEG = 3,
    IKE_TRANS_KE = 4, /* "D-H" in RFC 7296 */
    IKE_TRANS_ESN = 5,
};

/* ENCR transform IDs */
enum {
    IKE_ENCR_AES_CBC = 12,
    IKE_ENCR_AES_GCM_16 = 20,
    IKE_ENCR_CHACHA20_POLY1305 = 28,
};

/* PRF transform IDs */
enum {
    IKE_PRF_HMAC_SHA2_256 = 5,
    IKE_PRF_HMAC_SHA2_384 = 6,
    IKE_PRF_HMAC_SHA2_512 = 7,
};

/* INTEG transform IDs */
enum {
    IKE_INTEG_NONE = 0,
    IKE_INTEG_HMAC_SHA2_256_128 = 12,
    IKE_INTEG_HMAC_SHA2_384_192 = 13,
    IKE_INTEG_HMAC_SHA2_512_256 = 14,
};

/* Key exchange method (DH group) IDs */
enum {
    IKE_KE_NONE = 0,
    IKE_KE_MODP2048 = 14,
    IKE_KE_MODP3072 = 15,
    IKE_KE_MODP4096 = 16,
    IKE_KE_ECP256 = 19,
    IKE_KE_ECP384 = 20,
    IKE_KE_CURVE25519 = 31,
};

/* ESN transform IDs */
enum {
    IKE_ESN_NO = 0,
    IKE_ESN_YES = 1,
};

/* Transform attribute */
#define IKE_ATTR_KEY_LENGTH 14     /* TV format, bits */
#define IKE_ATTR_AF_TV      0x8000 /* Attribute Format bit: TV (set) or TLV (clear) */

/* "Last Substruc" values of proposals and transforms (RFC 7296 3.3.1, 3.3.2) */
enum {
    IKE_SUBSTRUC_LAST = 0,
    IKE_SUBSTRUC_MORE_PROPOSALS = 2,
    IKE_SUBSTRUC_MORE_TRANSFORMS = 3,
};

/* ID types */
enum {
    IKE_ID_IPV4_ADDR = 1,
    IKE_ID_FQDN = 2,
    IKE_ID_RFC822_ADDR = 3,
    IKE_ID_IPV6_ADDR = 5,
    IKE_ID_DER_ASN1_DN = 9,
    IKE_ID_DER_ASN1_GN = 10,
    IKE_ID_KEY_ID = 11,
};

/* Auth methods */
enum {
    IKE_AUTH_RSA_SIG = 1,
    IKE_AUTH_PSK = 2,
    IKE_AUTH_DSS_SIG = 3,
    IKE_AUTH_ECDSA_SHA256_P256 = 9,
    IKE_AUTH_ECDSA_SHA384_P384 = 10,
    IKE_AUTH_ECDSA_SHA512_P521 = 11,
    IKE_AUTH_DIGITAL_SIGNATURE = 14, /* RFC 7427 */
};

/* Certificate encodings */
enum {
    IKE_CERT_X509_SIG = 4,
    IKE_CERT_CRL = 7,
    IKE_CERT_RAW_RSA_KEY = 11,
    IKE_CERT_HASH_URL_X509 = 12,
    IKE_CERT_HASH_URL_BUNDLE = 13,
};

/* Notify message types: errors (< 16384) */
enum {
    IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
    IKE_N_INVALID_IKE_SPI = 4,
    IKE_N_INVALID_MAJOR_VERSION = 5,
    IKE_N_INVALID_SYNTAX = 7,
    IKE_N_INVALID_MESSAGE_ID = 9,
    IKE_N_INVALID_SPI = 11,
    IKE_N_NO_PROPOSAL_CHOSEN = 14,
    IKE_N_INVALID_KE_PAYLOAD = 17,
    IKE_N_AUTHENTICATION_FAILED = 24,
    IKE_N_SINGLE_PAIR_REQUIRED = 34,
    IKE_N_NO_ADDITIONAL_SAS = 35,
    IKE_N_INTERNAL_ADDRESS_FAILURE = 36,
    IKE_N_FAILED_CP_REQUIRED = 37,
    IKE_N_TS_UNACCEPTABLE = 38,
    IKE_N_INVALID_SELECTORS = 39,
    IKE_N_UNACCEPTABLE_ADDRESSES = 40,   /* RFC 4555 */
    IKE_N_UNEXPECTED_NAT_DETECTED = 41, /* RFC 4555 */
    IKE_N_TEMPORARY_FAILURE = 43,
    IKE_N_CHILD_SA_NOT_FOUND = 44,
};

/* Notify message types: status (>= 16384) */
enum {
    IKE_N_INITIAL_CONTACT = 16384,
    IKE_N_SET_WINDOW_SIZE = 16385,
    IKE_N_ADDITIONAL_TS_POSSIBLE = 16386,
    IKE_N_IPCOMP_SUPPORTED = 16387,
    IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
    IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
    IKE_N_COOKIE = 16390,
    IKE_N_USE_TRANSPORT_MODE = 16391,
    IKE_N_REKEY_SA = 16393,
    IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
    IKE_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
    IKE_N_MOBIKE_SUPPORTED = 16396,
    IKE_N_ADDITIONAL_IP4_ADDRESS = 16397,
    IKE_N_ADDITIONAL_IP6_ADDRESS = 16398,
    IKE_N_NO_ADDITIONAL_ADDRESSES = 16399,
    IKE_N_UPDATE_SA_ADDRESSES = 16400,
    IKE_N_COOKIE2 = 16401,
    IKE_N_NO_NATS_ALLOWED = 16402,
    IKE_N_AUTH_LIFETIME = 16403, /* RFC 4478: 4 octets, seconds until reauthentication */
    IKE_N_REDIRECT_SUPPORTED = 16406, /* RFC 5685 */
    IKE_N_REDIRECT = 16407,
    IKE_N_REDIRECTED_FROM = 16408,
    IKE_N_EAP_ONLY_AUTHENTICATION = 16417,
    IKE_N_MULTIPLE_AUTH_SUPPORTED = 16404,
    IKE_N_IKEV2_MESSAGE_ID_SYNC_SUPPORTED = 16420,
    IKE_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,
    IKE_N_SIGNATURE_HASH_ALGORITHMS = 16431,
};

/* Traffic selector types */
enum {
    IKE_TS_IPV4_ADDR_RANGE = 7,
    IKE_TS_IPV6_ADDR_RANGE = 8,
};

/* Configuration payload */
enum {
    IKE_CFG_REQUEST = 1,
    IKE_CFG_REPLY = 2,
    IKE_CFG_SET = 3,
    IKE_CFG_ACK = 4,
};

enum {
    IKE_CFG_INTERNAL_IP4_ADDRESS = 1,
    IKE_CFG_INTERNAL_IP4_NETMASK = 2,
    IKE_CFG_INTERNAL_IP4_DNS = 3,
    IKE_CFG_INTERNAL_IP4_NBNS = 4,
    IKE_CFG_INTERNAL_IP4_DHCP = 6,
    IKE_CFG_APPLICATION_VERSION = 7,
    IKE_CFG_INTERNAL_IP6_ADDRESS = 8,
    IKE_CFG_INTERNAL_IP6_DNS = 10,
    IKE_CFG_INTERNAL_IP6_DHCP = 12,
    IKE_CFG_INTERNAL_IP4_SUBNET = 13,
    IKE_CFG_SUPPORTED_ATTRIBUTES = 14,
    IKE_CFG_INTERNAL_IP6_SUBNET = 15,
    IKE_CFG_INTERNAL_DNS_DOMAIN = 25, /* RFC 8598 */
    IKE_CFG_INTERNAL_DNSSEC_TA = 26,  /* RFC 8598 */
};

/* EAP (RFC 3748) */
enum {
    EAP_CODE_REQUEST = 1,
    EAP_CODE_RESPONSE = 2,
    EAP_CODE_SUCCESS = 3,
    EAP_CODE_FAILURE = 4,
};

enum {
    EAP_TYPE_IDENTITY = 1,
    EAP_TYPE_NAK = 3,
    EAP_TYPE_TLS = 13,
    EAP_TYPE_MSCHAPV2 = 26,
};

/* ---- in-memory SA proposals ----------------------------------------------- */

#define IKE_MAX_TRANSFORMS 32
#define IKE_MAX_PROPOSALS  16

struct ike_transform {
    uint8_t type;     /* IKE_TRANS_* */
    uint16_t id;      /* transform ID of that type */
    uint16_t keylen;  /* key length attribute in bits, 0 = none */
    /* The transform carried an attribute other than Key Length: it must be
     * treated as unsupported (RFC 7296 3.3.6).  The parser skips such
     * transforms (see n_skipped); proposals made in code may still set it. */
    bool unknown_attr;
};

/* Bit of a transform type (IKE_TRANS_ENCR .. IKE_TRANS_ESN) in types_present. */
#define IKE_TRANS_BIT(type) (1u << (type))

struct ike_proposal {
    uint8_t num;      /* proposal number, 1-based */
    uint8_t protocol; /* IKE_PROTO_IKE or IKE_PROTO_ESP */
    uint8_t spi_len;  /* 0 (IKE_SA_INIT), 4 (ESP), 8 (IKE rekey) */
    uint8_t spi[8];
    unsigned n_transforms;
    struct ike_transform transforms[IKE_MAX_TRANSFORMS];
    /*
     * Set by ike_sa_parse() for a peer's proposal, 0 in proposals made in
     * code.  transforms[] then holds only what this implementation supports
     * (ike_transform_supported()); the others were skipped and counted in
     * n_skipped (an unknown ID or key length, an unknown attribute, a
     * transform past IKE_MAX_TRANSFORMS).  types_present has the
     * IKE_TRANS_BIT() of every type the proposal carried, kept or not, so
     * that a type whose transforms were all skipped is not taken for an
     * absent one.  unknown_type: a transform type beyond ESN was present; the
     * proposal must be rejected as a whole (RFC 7296 3.3.6).
     */
    unsigned n_skipped;
    uint8_t types_present;
    bool unknown_type;
};
