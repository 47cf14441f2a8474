/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: a VICI packet from charon as the agent reads it for status
 * (lib/vicimsg.h). The input is a segment's packet (the bytes after its length).
 * Invariants: a packet read, built again, is the same bytes; a message read whole, its elements
 * written back, is the same bytes, never deeper than VICI_DEPTH_MAX; a list-sa event is refused
 * whole or read whole (only when the message is well formed), its states of capitals and '_',
 * and each IKE SA read is found again as its tunnel, with no more CHILD SAs installed than read;
 * reading the same event again gives as many IKE SAs again. A command's result is read only
 * from a well-formed message, and its reason is printable text of at most 200 characters.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lib/vicimsg.h"

static void check_state(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || *s == '_'))
			abort();
}

static bool message_round_trip(const uint8_t *msg, size_t len)
{
	struct vici_reader r;
	struct vici_elem e;
	struct strbuf back = {0};
	int ret;

	vici_reader_init(&r, msg, len);
	while ((ret = vici_reader_next(&r, &e)) > 0) {
		if (e.depth > VICI_DEPTH_MAX || vici_elem_put(&back, &e) < 0)
			abort();
	}
	if (ret == 0 && (back.len != len || (len && memcmp(back.s, msg, len))))
		abort();
	if (ret < 0 && vici_reader_next(&r, &e) != ret)
		abort(); /* refused from then on */
	strbuf_done(&back);
	return ret == 0;
}

static void list_sa(const uint8_t *msg, size_t len, bool well_formed)
{
	struct vici_sas s = {0};
	size_t i, j, n;
	int r = vici_list_sa_parse(&s, msg, len);

	if (r < 0 && (s.n_ike || s.ike))
		abort(); /* refused whole */
	if (r == 0 && !well_formed)
		abort();
	for (i = 0; i < s.n_ike; i++) {
		const struct vici_ike_sa *ike = &s.ike[i];
		struct vici_tunnel t;

		check_state(ike->state);
		for (j = n = 0; j < ike->n_children; j++) {
			check_state(ike->children[j].state);
			n += vici_child_installed(ike->children[j].state);
		}
		vici_sas_tunnel(&s, ike->name, &t);
		if (!(t.has & VICI_TUNNEL_HAS_IKE) || t.child_sas < n)
			abort();
	}
	if (r == 0) {
		n = s.n_ike;
		if (vici_list_sa_parse(&s, msg, len) < 0 || s.n_ike != 2 * n)
			abort();
	}
	vici_sas_done(&s);
}

static void result(const uint8_t *msg, size_t len, bool well_formed)
{
	struct strbuf why = {0};
	int r = vici_result_parse(msg, len, &why);
	size_t i;

	if (r >= 0 && !well_formed)
		abort();
	if (r != 0 && why.len)
		abort(); /* a reason only for a failure */
	if (why.len > 200)
		abort();
	for (i = 0; i < why.len; i++)
		if (why.s[i] < 0x20 || why.s[i] >= 0x7f)
			abort();
	strbuf_done(&why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vici_packet p;
	struct strbuf seg = {0};
	bool named, well_formed;

	if (vici_packet_parse(data, size, &p) < 0)
		return 0;
	named = p.type == VICI_CMD_REQUEST || p.type == VICI_EVENT_REGISTER ||
		p.type == VICI_EVENT_UNREGISTER || p.type == VICI_EVENT;
	if (size <= VICI_SEGMENT_MAX) {
		if (vici_packet_build(&seg, p.type, named ? p.name : NULL, p.msg, p.msg_len) < 0 ||
		    seg.len != size + 4 || memcmp(seg.s + 4, data, size))
			abort();
	}
	strbuf_done(&seg);
	well_formed = message_round_trip(p.msg, p.msg_len);
	list_sa(p.msg, p.msg_len, well_formed);
	result(p.msg, p.msg_len, well_formed);
	return 0;
}
