/* SPDX-License-Identifier: MIT */
/* VICI packets, messages and list-sa events (vicimsg.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vicimsg.h"

static bool named_packet(uint8_t type)
{
	return type == VICI_CMD_REQUEST || type == VICI_EVENT_REGISTER ||
	       type == VICI_EVENT_UNREGISTER || type == VICI_EVENT;
}

/* A name of n bytes at p into ret: -EINVAL when it holds a NUL. */
static int copy_name(const uint8_t *p, size_t n, char ret[VICI_NAME_MAX + 1])
{
	if (memchr(p, '\0', n))
		return -EINVAL;
	memcpy(ret, p, n);
	ret[n] = '\0';
	return 0;
}

int vici_packet_parse(const uint8_t *data, size_t len, struct vici_packet *ret)
{
	struct vici_packet p = {0};
	size_t off = 1, n;

	if (len < 1 || data[0] > VICI_EVENT)
		return -EINVAL;
	p.type = data[0];
	if (named_packet(p.type)) {
		if (len < 2 || len - 2 < data[1])
			return -EINVAL;
		n = data[1];
		if (copy_name(data + 2, n, p.name) < 0)
			return -EINVAL;
		off = 2 + n;
	}
	p.msg = data + off;
	p.msg_len = len - off;
	*ret = p;
	return 0;
}

static int put_u8(struct strbuf *out, uint8_t v)
{
	return strbuf_append_n(out, (const char *)&v, 1);
}

static int put_be16(struct strbuf *out, size_t v)
{
	char b[2] = {(char)(v >> 8), (char)v};

	return strbuf_append_n(out, b, 2);
}

static int put_name(struct strbuf *out, const char *name)
{
	size_t n = strlen(name);

	if (n > VICI_NAME_MAX)
		return -EINVAL;
	if (put_u8(out, (uint8_t)n) < 0 || strbuf_append_n(out, name, n) < 0)
		return -ENOMEM;
	return 0;
}

int vici_packet_build(struct strbuf *out, enum vici_packet_type type, const char *name,
		      const uint8_t *msg, size_t msg_len)
{
	size_t before = out->len, len = 1 + msg_len;
	char hdr[4];
	int r;

	if ((unsigned)type > VICI_EVENT || named_packet((uint8_t)type) != (name != NULL))
		return -EINVAL;
	if (name)
		len += 1 + strlen(name);
	if (len > VICI_SEGMENT_MAX)
		return -EINVAL;
	hdr[0] = (char)(len >> 24);
	hdr[1] = (char)(len >> 16);
	hdr[2] = (char)(len >> 8);
	hdr[3] = (char)len;
	r = strbuf_append_n(out, hdr, 4) < 0 || put_u8(out, (uint8_t)type) < 0 ? -ENOMEM : 0;
	if (r == 0 && name)
		r = put_name(out, name);
	if (r == 0 && msg_len && strbuf_append_n(out, (const char *)msg, msg_len) < 0)
		r = -ENOMEM;
	if (r < 0)
		strbuf_truncate(out, before);
	return r;
}

void vici_reader_init(struct vici_reader *r, const uint8_t *msg, size_t len)
{
	*r = (struct vici_reader){.msg = msg, .len = len};
}

static bool has_name(uint8_t type)
{
	return type == VICI_SECTION_START || type == VICI_KEY_VALUE || type == VICI_LIST_START;
}

static bool has_value(uint8_t type)
{
	return type == VICI_KEY_VALUE || type == VICI_LIST_ITEM;
}

static int reader_fail(struct vici_reader *r)
{
	r->failed = true;
	return -EINVAL;
}

int vici_reader_next(struct vici_reader *r, struct vici_elem *ret)
{
	struct vici_elem e = {0};
	size_t left, n;

	if (r->failed)
		return -EINVAL;
	if (r->off == r->len) {
		if (r->depth || r->in_list)
			return reader_fail(r);
		return 0;
	}
	e.type = r->msg[r->off++];
	e.depth = r->depth;
	if (e.type < VICI_SECTION_START || e.type > VICI_LIST_END)
		return reader_fail(r);
	/* Inside a list only items and its end; items only inside a list. */
	if (r->in_list != (e.type == VICI_LIST_ITEM || e.type == VICI_LIST_END))
		return reader_fail(r);
	if (has_name(e.type)) {
		left = r->len - r->off;
		if (left < 1 || left - 1 < r->msg[r->off])
			return reader_fail(r);
		n = r->msg[r->off];
		if (copy_name(r->msg + r->off + 1, n, e.name) < 0)
			return reader_fail(r);
		r->off += 1 + n;
	}
	if (has_value(e.type)) {
		left = r->len - r->off;
		if (left < 2)
			return reader_fail(r);
		n = (size_t)r->msg[r->off] << 8 | r->msg[r->off + 1];
		if (left - 2 < n)
			return reader_fail(r);
		e.value = r->msg + r->off + 2;
		e.value_len = n;
		r->off += 2 + n;
	}
	switch (e.type) {
	case VICI_SECTION_START:
		if (r->depth >= VICI_DEPTH_MAX)
			return reader_fail(r);
		r->depth++;
		break;
	case VICI_SECTION_END:
		if (!r->depth)
			return reader_fail(r);
		r->depth--;
		break;
	case VICI_LIST_START:
		r->in_list = true;
		break;
	case VICI_LIST_END:
		r->in_list = false;
		break;
	}
	*ret = e;
	return 1;
}

int vici_elem_put(struct strbuf *out, const struct vici_elem *e)
{
	size_t before = out->len;
	int r;

	if (e->type < VICI_SECTION_START || e->type > VICI_LIST_END ||
	    (has_value(e->type) && e->value_len > 0xffff))
		return -EINVAL;
	r = put_u8(out, e->type) < 0 ? -ENOMEM : 0;
	if (r == 0 && has_name(e->type))
		r = put_name(out, e->name);
	if (r == 0 && has_value(e->type) &&
	    (put_be16(out, e->value_len) < 0 ||
	     (e->value_len && strbuf_append_n(out, (const char *)e->value, e->value_len) < 0)))
		r = -ENOMEM;
	if (r < 0)
		strbuf_truncate(out, before);
	return r;
}

int vici_put_kv(struct strbuf *out, const char *key, const char *value)
{
	struct vici_elem e = {
	    .type = VICI_KEY_VALUE, .value = (const uint8_t *)value, .value_len = strlen(value)};

	if (strlen(key) > VICI_NAME_MAX)
		return -EINVAL;
	strcpy(e.name, key);
	return vici_elem_put(out, &e);
}

/* ---- list-sa events ---- */

/* What a section of a list-sa event is, by its place. */
enum sa_section { SEC_OTHER, SEC_IKE, SEC_CHILDREN, SEC_CHILD };

int vici_result_parse(const uint8_t *msg, size_t len, struct strbuf *err)
{
	struct vici_reader rd;
	struct vici_elem e;
	const uint8_t *why = NULL;
	size_t why_len = 0, i;
	int success = -1, r;

	vici_reader_init(&rd, msg, len);
	while ((r = vici_reader_next(&rd, &e)) > 0) {
		if (e.type != VICI_KEY_VALUE || e.depth)
			continue;
		if (!strcmp(e.name, "success"))
			success = e.value_len == 3 && !memcmp(e.value, "yes", 3) ? 1
				  : e.value_len == 2 && !memcmp(e.value, "no", 2) ? 0
										    : -1;
		else if (!strcmp(e.name, "errmsg"))
			why = e.value, why_len = e.value_len;
	}
	if (r < 0 || success < 0)
		return -EINVAL;
	if (success)
		return 1;
	for (i = 0; why && i < why_len && i < 200; i++)
		strbuf_printf(err, "%c", why[i] >= 0x20 && why[i] < 0x7f ? why[i] : '?');
	if (!why_len)
		strbuf_append(err, "no reason given");
	return 0;
}

static int value_state(const struct vici_elem *e, char ret[VICI_STATE_MAX + 1])
{
	size_t i;

	if (!e->value_len || e->value_len > VICI_STATE_MAX)
		return -EINVAL;
	for (i = 0; i < e->value_len; i++)
		if (!((e->value[i] >= 'A' && e->value[i] <= 'Z') || e->value[i] == '_'))
			return -EINVAL;
	memcpy(ret, e->value, e->value_len);
	ret[e->value_len] = '\0';
	return 0;
}

static int value_u64(const struct vici_elem *e, uint64_t *ret)
{
	char buf[24];
	char *end;
	unsigned long long v;
	size_t i;

	if (!e->value_len || e->value_len >= sizeof(buf))
		return -EINVAL;
	for (i = 0; i < e->value_len; i++)
		if (e->value[i] < '0' || e->value[i] > '9')
			return -EINVAL;
	memcpy(buf, e->value, e->value_len);
	buf[e->value_len] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int child_kv(struct vici_child_sa *c, const struct vici_elem *e)
{
	static const struct {
		const char *key;
		unsigned bit;
		size_t off;
	} counters[] = {
	    {"bytes-in", VICI_CHILD_HAS_BYTES_IN, offsetof(struct vici_child_sa, bytes_in)},
	    {"bytes-out", VICI_CHILD_HAS_BYTES_OUT, offsetof(struct vici_child_sa, bytes_out)},
	    {"packets-in", VICI_CHILD_HAS_PACKETS_IN, offsetof(struct vici_child_sa, packets_in)},
	    {"packets-out", VICI_CHILD_HAS_PACKETS_OUT,
	     offsetof(struct vici_child_sa, packets_out)},
	    {"install-time", VICI_CHILD_HAS_INSTALL_TIME,
	     offsetof(struct vici_child_sa, install_time)},
	};
	size_t i;

	if (!strcmp(e->name, "state"))
		return value_state(e, c->state);
	for (i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		if (!strcmp(e->name, counters[i].key)) {
			c->has |= counters[i].bit;
			return value_u64(e, (uint64_t *)((char *)c + counters[i].off));
		}
	return 0;
}

static void ike_free(struct vici_ike_sa *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].children);
	free(v);
}

/* The event's IKE SAs into ret and n (the caller's to free, also on failure). */
static int list_sa_read(const uint8_t *msg, size_t len, struct vici_ike_sa **ret, size_t *n)
{
	enum sa_section stack[VICI_DEPTH_MAX + 1] = {SEC_OTHER};
	struct vici_reader rd;
	struct vici_elem e;
	struct vici_ike_sa *ike = NULL;
	struct vici_child_sa *child = NULL;
	enum sa_section parent, kind;
	void *v;
	int r;

	vici_reader_init(&rd, msg, len);
	while ((r = vici_reader_next(&rd, &e)) > 0) {
		/* stack[d]: the section holding the elements of depth d (0: the message). */
		parent = e.depth ? stack[e.depth] : SEC_OTHER;
		switch (e.type) {
		case VICI_SECTION_START:
			kind = SEC_OTHER;
			if (e.depth == 0) {
				v = realloc(*ret, (*n + 1) * sizeof(**ret));
				if (!v)
					return -ENOMEM;
				*ret = v;
				ike = &(*ret)[(*n)++];
				*ike = (struct vici_ike_sa){0};
				strcpy(ike->name, e.name);
				kind = SEC_IKE;
			} else if (parent == SEC_IKE && !strcmp(e.name, "child-sas")) {
				kind = SEC_CHILDREN;
			} else if (parent == SEC_CHILDREN) {
				v = realloc(ike->children, (ike->n_children + 1) * sizeof(*child));
				if (!v)
					return -ENOMEM;
				ike->children = v;
				child = &ike->children[ike->n_children++];
				*child = (struct vici_child_sa){0};
				kind = SEC_CHILD;
			}
			stack[e.depth + 1] = kind;
			break;
		case VICI_KEY_VALUE:
			if (parent == SEC_IKE && !strcmp(e.name, "state"))
				r = value_state(&e, ike->state);
			else if (parent == SEC_CHILD)
				r = child_kv(child, &e);
			if (r < 0)
				return r;
			break;
		default:
			break;
		}
	}
	return r;
}

int vici_list_sa_parse(struct vici_sas *s, const uint8_t *msg, size_t len)
{
	struct vici_ike_sa *ike = NULL, *v;
	size_t n = 0;
	int r = list_sa_read(msg, len, &ike, &n);

	if (r < 0) {
		ike_free(ike, n);
		return r;
	}
	if (!n)
		return 0;
	v = realloc(s->ike, (s->n_ike + n) * sizeof(*v));
	if (!v) {
		ike_free(ike, n);
		return -ENOMEM;
	}
	s->ike = v;
	memcpy(s->ike + s->n_ike, ike, n * sizeof(*ike));
	s->n_ike += n;
	free(ike);
	return 0;
}

void vici_sas_done(struct vici_sas *s)
{
	ike_free(s->ike, s->n_ike);
	*s = (struct vici_sas){0};
}

bool vici_child_installed(const char *state)
{
	return !strcmp(state, "INSTALLED") || !strcmp(state, "REKEYING");
}

static void add_sat(uint64_t *sum, uint64_t v)
{
	if (__builtin_add_overflow(*sum, v, sum))
		*sum = UINT64_MAX;
}

void vici_sas_tunnel(const struct vici_sas *s, const char *name, struct vici_tunnel *ret)
{
	size_t i, j;

	*ret = (struct vici_tunnel){0};
	for (i = 0; i < s->n_ike; i++) {
		const struct vici_ike_sa *ike = &s->ike[i];

		if (strcmp(ike->name, name))
			continue;
		if (!(ret->has & VICI_TUNNEL_HAS_IKE) || !strcmp(ike->state, "ESTABLISHED"))
			strcpy(ret->ike_state, ike->state);
		ret->has |= VICI_TUNNEL_HAS_IKE;
		for (j = 0; j < ike->n_children; j++) {
			const struct vici_child_sa *c = &ike->children[j];

			if (!vici_child_installed(c->state))
				continue;
			ret->child_sas++;
			add_sat(&ret->bytes_in, c->bytes_in);
			add_sat(&ret->bytes_out, c->bytes_out);
			add_sat(&ret->packets_in, c->packets_in);
			add_sat(&ret->packets_out, c->packets_out);
			if ((c->has & VICI_CHILD_HAS_INSTALL_TIME) &&
			    (!(ret->has & VICI_TUNNEL_HAS_INSTALL) ||
			     c->install_time < ret->newest_install)) {
				ret->newest_install = c->install_time;
				ret->has |= VICI_TUNNEL_HAS_INSTALL;
			}
		}
	}
}
