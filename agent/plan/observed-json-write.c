/* SPDX-License-Identifier: MIT */
/*
 * Writing the observed state as JSON, in the format observed-json.c reads: one object per
 * line, file content as an array of its lines (pieces of at most JR_STRING_MAX bytes, cut
 * between UTF-8 characters), so that states diff well and any file fits the reader's limits.
 */
#include <errno.h>
#include <string.h>

#include "lib/jread.h"
#include "observed.h"

static void json_string(struct strbuf *b, const char *s, size_t n)
{
	size_t i, start = 0;

	strbuf_append(b, "\"");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
				  : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;

		if (!esc && c >= 0x20)
			continue;
		strbuf_append_n(b, s + start, i - start);
		if (esc)
			strbuf_append(b, esc);
		else
			strbuf_printf(b, "\\u%04x", c);
		start = i + 1;
	}
	strbuf_append_n(b, s + start, n - start);
	strbuf_append(b, "\"");
}

/* The length of the next piece of text: up to a newline, at most JR_STRING_MAX bytes and
 * not in the middle of a UTF-8 sequence. */
static size_t text_piece(const char *s, size_t n)
{
	const char *nl = memchr(s, '\n', n);
	size_t len = nl ? (size_t)(nl - s) + 1 : n;

	if (len > JR_STRING_MAX) {
		len = JR_STRING_MAX;
		while (len > 1 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	return len;
}

/* Text as one string, or as an array of pieces (always for file content: one per line). */
static void json_text(struct strbuf *b, const char *s, bool lines, const char *indent)
{
	size_t n = strlen(s), len;

	if (!lines && n <= JR_STRING_MAX) {
		json_string(b, s, n);
		return;
	}
	strbuf_append(b, "[");
	for (; n; s += len, n -= len) {
		len = text_piece(s, n);
		strbuf_printf(b, "\n%s", indent);
		json_string(b, s, len);
		if (len < n)
			strbuf_append(b, ",");
	}
	strbuf_append(b, "]");
}

static void write_link(struct strbuf *b, const struct object *o)
{
	char mac[MAC_STRLEN];

	strbuf_append(b, "{\"name\": ");
	json_string(b, o->link.name, strlen(o->link.name));
	if (o->flags & OBJ_TUNNEL)
		strbuf_append(b, ", \"type\": \"wireguard\"");
	else
		strbuf_printf(b, ", \"mac\": \"%s\"", mac_format(o->link.mac, mac));
	if (o->link.has & OBJ_LINK_HAS_MTU)
		strbuf_printf(b, ", \"mtu\": %u", o->link.mtu);
	strbuf_printf(b, ", \"up\": %s", o->link.up ? "true" : "false");
	if (o->flags & OBJ_TUNNEL) {
		strbuf_append(b, ", \"owner\": ");
		json_string(b, o->owner ? o->owner : OBJECT_OWNER_SELF,
			    strlen(o->owner ? o->owner : OBJECT_OWNER_SELF));
	}
	strbuf_append(b, "}");
}

static void write_owner(struct strbuf *b, const struct object *o)
{
	const char *owner = o->owner ? o->owner : OBJECT_OWNER_SELF;

	strbuf_append(b, ", \"owner\": ");
	json_string(b, owner, strlen(owner));
	strbuf_append(b, "}");
}

static void write_object(struct strbuf *b, const struct object *o)
{
	char buf[PREFIX_STRLEN];

	switch (o->kind) {
	case OBJ_ADDRESS:
		strbuf_append(b, "{\"interface\": ");
		json_string(b, o->address.ifname, strlen(o->address.ifname));
		strbuf_printf(b, ", \"address\": \"%s\"", prefix_format(&o->address.addr, buf));
		write_owner(b, o);
		break;
	case OBJ_ROUTE:
		strbuf_printf(b, "{\"to\": \"%s\"", prefix_format(&o->route.to, buf));
		if (o->route.has & OBJ_ROUTE_HAS_VIA)
			strbuf_printf(b, ", \"via\": \"%s\"", addr_format(&o->route.via, buf));
		if (o->route.has & OBJ_ROUTE_HAS_DEV) {
			strbuf_append(b, ", \"interface\": ");
			json_string(b, o->route.dev, strlen(o->route.dev));
		}
		strbuf_printf(b, ", \"metric\": %u", o->route.metric);
		write_owner(b, o);
		break;
	case OBJ_FILE:
		strbuf_append(b, "{\"path\": ");
		json_string(b, o->key, strlen(o->key));
		strbuf_printf(b, ", \"mode\": %u, \"content\": ", o->file.mode);
		json_text(b, o->file.content, true, "      ");
		strbuf_append(b, "}");
		break;
	default:
		strbuf_printf(b, "{\"kind\": \"%s\", \"key\": ", object_kind_to_string(o->kind));
		json_string(b, o->key, strlen(o->key));
		strbuf_append(b, ", \"attrs\": ");
		json_text(b, o->attrs, false, "      ");
		strbuf_append(b, "}");
		break;
	}
}

static void write_section(struct strbuf *b, const char *name, const struct objset *s)
{
	const struct object *o;
	size_t i, n = 0;

	strbuf_printf(b, ",\n  \"%s\": [", name);
	objset_foreach(s, i, o) {
		strbuf_append(b, n++ ? ",\n    " : "\n    ");
		write_object(b, o);
	}
	strbuf_append(b, n ? "\n  ]" : "]");
}

int observed_to_json(const struct observed *obs, struct strbuf *out)
{
	size_t i;

	strbuf_append(out, "{");
	if (obs->hostname) {
		strbuf_append(out, "\n  \"hostname\": ");
		json_string(out, obs->hostname->hostname, strlen(obs->hostname->hostname));
		strbuf_append(out, ",");
	}
	strbuf_append(out, "\n  \"links\": [");
	for (i = 0; i < obs->n_links; i++) {
		strbuf_append(out, i ? ",\n    " : "\n    ");
		write_link(out, obs->links[i]);
	}
	strbuf_append(out, obs->n_links ? "\n  ]" : "]");
	write_section(out, "addresses", &obs->addrs);
	write_section(out, "routes", &obs->routes);
	write_section(out, "firewall", &obs->nft);
	write_section(out, "files", &obs->files);
	strbuf_append(out, "\n}\n");
	return out->oom ? -ENOMEM : 0;
}
