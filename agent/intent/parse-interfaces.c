/* SPDX-License-Identifier: MIT */
/* "interfaces": the router's links, found by MAC. */
#include <stdlib.h>
#include <string.h>

#include "../lib/strbuf.h"
#include "read.h"
#include "sections.h"

static const char *const iface_keys[] = {
	"mac", "addresses", "mtu", "enabled", "management", NULL,
};

static void parse_iface(struct jr *r, const char *name, const struct json_t *v,
			struct iface *ifc)
{
	int64_t mtu;
	size_t i, j;

	ifc->name = strdup(name);
	ifc->ptr = jr_ptr_dup(r);
	ifc->enabled = true;
	if (!jr_object(r, v, iface_keys))
		return;
	read_member(r, v, "mac", true, read_mac, ifc->mac);
	if (read_array(r, v, "addresses", false, LIMIT_LIST, sizeof(struct ip_prefix),
		       read_iface_addr, &ifc->addrs, &ifc->n_addrs) > 0) {
		ifc->has |= IFACE_HAS_ADDRESSES;
		for (i = 1; i < ifc->n_addrs; i++)
			for (j = 0; j < i; j++)
				if (addr_equal(&ifc->addrs[i].addr, &ifc->addrs[j].addr)) {
					size_t m = jr_push_key(r, "addresses");

					jr_push_index(r, i);
					jr_error(r, "duplicate address (also at index %zu)", j);
					jr_pop(r, m);
					break;
				}
	}
	if (jr_int(r, v, "mtu", false, 68, 65535, &mtu) > 0) {
		ifc->mtu = (uint32_t)mtu;
		ifc->has |= IFACE_HAS_MTU;
	}
	if (jr_bool(r, v, "enabled", false, &ifc->enabled) > 0)
		ifc->has |= IFACE_HAS_ENABLED;
	if (jr_bool(r, v, "management", false, &ifc->management) > 0)
		ifc->has |= IFACE_HAS_MANAGEMENT;
}

void parse_interfaces(struct jr *r, const struct json_t *v, struct intent *in)
{
	const struct json_t *val;
	const char *key;

	if (!jr_map(r, v, LIMIT_LIST))
		return;
	if (jr_size(v) == 0) {
		jr_error(r, "a router needs at least one interface");
		return;
	}
	in->ifaces = calloc(jr_size(v), sizeof(*in->ifaces));
	if (!in->ifaces) {
		jr_error(r, "out of memory");
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);

		if (check_map_name(r, key))
			parse_iface(r, key, val, &in->ifaces[in->n_ifaces++]);
		jr_pop(r, mark);
	}
}

void check_interfaces(const struct intent *in, struct errlist *errs)
{
	struct strbuf p = {0};
	size_t i, j, k, l;

	for (i = 0; i < in->n_ifaces; i++) {
		const struct iface *a = &in->ifaces[i];

		for (j = 0; j < i; j++) {
			const struct iface *b = &in->ifaces[j];
			char mac[MAC_STRLEN];

			if (!memcmp(a->mac, b->mac, 6)) {
				strbuf_printf(&p, "%s/mac", a->ptr);
				errlist_add(errs, strbuf_str(&p),
					    "MAC %s is also the MAC of interface \"%s\"",
					    mac_format(a->mac, mac), b->name);
				strbuf_truncate(&p, 0);
			}
			for (k = 0; k < a->n_addrs; k++)
				for (l = 0; l < b->n_addrs; l++) {
					char x[PREFIX_STRLEN], y[PREFIX_STRLEN];
					struct ip_prefix na = prefix_network(&a->addrs[k]);
					struct ip_prefix nb = prefix_network(&b->addrs[l]);

					/* Link-local networks exist once per link. */
					if (!prefix_overlaps(&na, &nb) ||
					    addr_is_link_local(&na.addr) ||
					    addr_is_link_local(&nb.addr))
						continue;
					strbuf_printf(&p, "%s/addresses/%zu", a->ptr, k);
					errlist_add(errs, strbuf_str(&p),
						    "%s overlaps %s of interface \"%s\"",
						    prefix_format(&a->addrs[k], x),
						    prefix_format(&b->addrs[l], y), b->name);
					strbuf_truncate(&p, 0);
				}
		}
	}
	strbuf_done(&p);
}

void free_interfaces(struct intent *in)
{
	size_t i;

	for (i = 0; i < in->n_ifaces; i++) {
		free(in->ifaces[i].name);
		free(in->ifaces[i].ptr);
		free(in->ifaces[i].addrs);
	}
	free(in->ifaces);
}
