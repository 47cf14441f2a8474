/* SPDX-License-Identifier: MIT */
/*
 * VICI, charon's control protocol (strongSwan's src/libcharon/plugins/vici/README.md), as the
 * agent speaks it for IPsec status. Pure: services/vici.c does the socket I/O.
 *
 * A segment: a 4-byte big-endian length, then a packet: its type (1 byte), for the named types
 * a name (1-byte length, then the name), then a message. A message is a sequence of elements,
 * each a type byte; SECTION_START, KEY_VALUE and LIST_START then carry a name (1-byte length),
 * KEY_VALUE and LIST_ITEM then a value (2-byte big-endian length). Sections nest and balance;
 * lists do not nest and hold only items. Numbers are decimal text.
 *
 * A list-sa event (the stream of the list-sas command) holds one IKE SA: a section named after
 * its connection with "state" and a section "child-sas" of CHILD SAs with their counters. No
 * secret is in it (keys stay in charon).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum vici_packet_type {
	VICI_CMD_REQUEST = 0,
	VICI_CMD_RESPONSE = 1,
	VICI_CMD_UNKNOWN = 2,
	VICI_EVENT_REGISTER = 3,
	VICI_EVENT_UNREGISTER = 4,
	VICI_EVENT_CONFIRM = 5,
	VICI_EVENT_UNKNOWN = 6,
	VICI_EVENT = 7,
};

enum vici_elem_type {
	VICI_SECTION_START = 1,
	VICI_SECTION_END = 2,
	VICI_KEY_VALUE = 3,
	VICI_LIST_START = 4,
	VICI_LIST_ITEM = 5,
	VICI_LIST_END = 6,
};

/* The longest segment charon sends or takes (its README: 512 KiB). */
#define VICI_SEGMENT_MAX (512 * 1024)
#define VICI_NAME_MAX 255
/* Sections open at once: charon's messages nest four deep. */
#define VICI_DEPTH_MAX 16

struct vici_packet {
	uint8_t type;		      /* enum vici_packet_type */
	char name[VICI_NAME_MAX + 1]; /* "" for the unnamed types */
	const uint8_t *msg;	      /* into the segment parsed */
	size_t msg_len;
};

/* The packet of a segment (the bytes after its length): 0, or -EINVAL for an unknown type, a
 * cut name or a name holding a NUL. The message is not read here (vici_reader). */
int vici_packet_parse(const uint8_t *data, size_t len, struct vici_packet *ret);
/* Appends a whole segment, length included: a packet of that type, named name (NULL for the
 * unnamed types), with that message. 0, -EINVAL (a name too long or missing, a segment past
 * VICI_SEGMENT_MAX) or -ENOMEM. */
int vici_packet_build(struct strbuf *out, enum vici_packet_type type, const char *name,
		      const uint8_t *msg, size_t msg_len);

struct vici_elem {
	uint8_t type;		      /* enum vici_elem_type */
	char name[VICI_NAME_MAX + 1]; /* SECTION_START, KEY_VALUE, LIST_START; "" otherwise */
	const uint8_t *value;	      /* KEY_VALUE, LIST_ITEM: into the message; NULL otherwise */
	size_t value_len;
	unsigned depth; /* sections open before it (a SECTION_END counts the one it closes) */
};

struct vici_reader {
	const uint8_t *msg;
	size_t len, off;
	unsigned depth;
	bool in_list;
	bool failed;
};

void vici_reader_init(struct vici_reader *r, const uint8_t *msg, size_t len);
/* The next element of the message into ret: 1; 0 at its end when every section and list was
 * closed; -EINVAL when the message is not well formed (an unknown type, a length past the end,
 * a name holding a NUL, an element out of place, unbalanced sections, deeper than
 * VICI_DEPTH_MAX), and from then on. */
int vici_reader_next(struct vici_reader *r, struct vici_elem *ret);
/* Appends element e as vici_reader_next gives it (its name, its value): what the reader read,
 * written back, is the same bytes. 0, -EINVAL (an unknown type, a value longer than 65535
 * bytes) or -ENOMEM. Places are not checked: the writer of a message keeps them. */
int vici_elem_put(struct strbuf *out, const struct vici_elem *e);
/* A KEY_VALUE element of text key and value. */
int vici_put_kv(struct strbuf *out, const char *key, const char *value);

/* ---- a command's response ---- */

/* The response of a command that answers "success" and, on failure, "errmsg" (initiate,
 * terminate): 1 for success = yes, 0 for a failure with charon's errmsg appended to err
 * (printable characters only, at most 200), -EINVAL when the message is not well formed or says
 * neither. */
int vici_result_parse(const uint8_t *msg, size_t len, struct strbuf *err);

/* ---- list-sa events ---- */

#define VICI_STATE_MAX 31

enum {
	VICI_CHILD_HAS_BYTES_IN = 1 << 0,
	VICI_CHILD_HAS_BYTES_OUT = 1 << 1,
	VICI_CHILD_HAS_PACKETS_IN = 1 << 2,
	VICI_CHILD_HAS_PACKETS_OUT = 1 << 3,
	VICI_CHILD_HAS_INSTALL_TIME = 1 << 4,
};

struct vici_child_sa {
	unsigned has;
	char state[VICI_STATE_MAX + 1]; /* "INSTALLED", "REKEYING", ...; "" when not given */
	uint64_t bytes_in, bytes_out, packets_in, packets_out;
	uint64_t install_time; /* seconds since it was installed */
};

struct vici_ike_sa {
	char name[VICI_NAME_MAX + 1]; /* its connection's: the agent names them after the tunnel */
	char state[VICI_STATE_MAX + 1]; /* "ESTABLISHED", "CONNECTING", ...; "" when not given */
	struct vici_child_sa *children;
	size_t n_children;
};

struct vici_sas {
	struct vici_ike_sa *ike;
	size_t n_ike;
};

/* Appends the IKE SAs of one list-sa event's message to s. An event is refused whole
 * (-EINVAL: the message not well formed, a state not of capitals and '_', a number not
 * decimal or past 64 bits); s then keeps what the earlier events gave. 0, -EINVAL or -ENOMEM. */
int vici_list_sa_parse(struct vici_sas *s, const uint8_t *msg, size_t len);
void vici_sas_done(struct vici_sas *s);

enum {
	VICI_TUNNEL_HAS_IKE = 1 << 0,	  /* an IKE SA is named after it */
	VICI_TUNNEL_HAS_INSTALL = 1 << 1, /* a CHILD SA installed says since when */
};

/* One tunnel summed up over the IKE SAs named after it. */
struct vici_tunnel {
	unsigned has;
	char ike_state[VICI_STATE_MAX + 1]; /* ESTABLISHED when one is, else the first one's */
	unsigned child_sas;		    /* CHILD SAs installed (INSTALLED, or REKEYING) */
	/* The installed CHILD SAs' counters added up (saturating): they restart at a rekey. */
	uint64_t bytes_in, bytes_out, packets_in, packets_out;
	uint64_t newest_install; /* seconds since the newest installed CHILD SA came */
};

/* Whether a CHILD SA in that state carries traffic. */
bool vici_child_installed(const char *state);
/* Tunnel name as s shows it, into ret (zeroed first). */
void vici_sas_tunnel(const struct vici_sas *s, const char *name, struct vici_tunnel *ret);
