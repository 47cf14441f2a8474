/* SPDX-License-Identifier: MIT */
/* "dhcp"/"hosts": reservations of a pool (a name, a MAC, at most one address of each family),
 * and their names, MACs and addresses unique across every pool. The reservations' addresses
 * against their interface are checked with the pool (parse-dhcp.c). */
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "read.h"
#include "sections.h"

static const char *const host_keys[] = {"mac", "address", NULL};

/* One address of a reservation: at most one per family. */
static void parse_host_addr(struct jr *r, const struct json_t *v, struct dhcp_host *h)
{
	char buf[ADDR_STRLEN];
	struct ip_addr a;
	unsigned bit;

	if (read_unicast_addr(r, v, &a) < 0)
		return;
	bit = a.family == AF_INET ? DHCP_HOST_HAS_V4 : DHCP_HOST_HAS_V6;
	if (h->has & bit) {
		jr_error(r, "%s is a second %s address: a host has at most one of each family",
			 addr_format(&a, buf), addr_family_name(a.family));
		return;
	}
	h->has |= bit;
	if (a.family == AF_INET)
		h->v4 = a;
	else
		h->v6 = a;
}

static void parse_host(struct jr *r, const char *name, const struct json_t *v,
		       struct dhcp_host *h)
{
	const struct json_t *addr;
	size_t mark, i;

	h->name = strdup(name);
	h->ptr = jr_ptr_dup(r);
	if (!jr_object(r, v, host_keys))
		return;
	read_member(r, v, "mac", true, read_mac, h->mac);
	if (!jr_require(r, v, "address"))
		return;
	addr = jr_member(v, "address");
	mark = jr_push_key(r, "address");
	if (jr_is_array(addr)) {
		if (jr_size(addr) == 0)
			jr_error(r, "must not be empty");
		else if (jr_size(addr) > 2)
			jr_error(r,
				 "%zu addresses: a host has at most one IPv4 and one IPv6 address",
				 jr_size(addr));
		else
			for (i = 0; i < jr_size(addr); i++) {
				size_t m = jr_push_index(r, i);

				parse_host_addr(r, jr_at(addr, i), h);
				jr_pop(r, m);
			}
	} else if (jr_is_string(addr)) {
		parse_host_addr(r, addr, h);
	} else {
		jr_error(r, "expected an address or an array of addresses, got %s",
			 jr_type_name(addr));
	}
	jr_pop(r, mark);
}

void parse_dhcp_hosts(struct jr *r, const struct json_t *v, struct dhcp_pool *pool)
{
	const struct json_t *val;
	const char *key;

	pool->has |= DHCP_HAS_HOSTS;
	if (!jr_map(r, v, LIMIT_MANY) || jr_size(v) == 0)
		return;
	pool->hosts = calloc(jr_size(v), sizeof(*pool->hosts));
	if (!pool->hosts) {
		jr_error(r, "out of memory");
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);

		if (check_map_name(r, key))
			parse_host(r, key, val, &pool->hosts[pool->n_hosts++]);
		jr_pop(r, mark);
	}
}

/* Reservations of every pool, for the uniqueness rules. */
enum host_key { HOST_KEY_NAME, HOST_KEY_MAC, HOST_KEY_V4, HOST_KEY_V6 };

struct host_ref {
	const struct dhcp_pool *pool;
	const struct dhcp_host *host;
	size_t seq; /* document order */
};

static int host_key_cmp(const struct dhcp_host *a, const struct dhcp_host *b, enum host_key k)
{
	switch (k) {
	case HOST_KEY_NAME:
		return strcmp(a->name, b->name);
	case HOST_KEY_MAC:
		return memcmp(a->mac, b->mac, 6);
	case HOST_KEY_V4:
		return addr_cmp(&a->v4, &b->v4);
	case HOST_KEY_V6:
		return addr_cmp(&a->v6, &b->v6);
	}
	return 0;
}

static int host_ref_cmp(const void *x, const void *y, void *key)
{
	const struct host_ref *a = x, *b = y;
	int c = host_key_cmp(a->host, b->host, *(enum host_key *)key);

	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sorts refs by key and reports each reservation whose key an earlier one has. */
static void check_unique(struct errlist *errs, struct host_ref *refs, size_t n, enum host_key k)
{
	char buf[ADDR_STRLEN > MAC_STRLEN ? ADDR_STRLEN : MAC_STRLEN];
	size_t i, first = 0;

	qsort_r(refs, n, sizeof(*refs), host_ref_cmp, &k);
	for (i = 1; i < n; i++) {
		const struct dhcp_host *h = refs[i].host, *o = refs[first].host;

		if (host_key_cmp(h, o, k)) {
			first = i;
			continue;
		}
		switch (k) {
		case HOST_KEY_NAME:
			errlist_add_at(errs, h->ptr, "",
				       "host name \"%s\" is also used on interface \"%s\" (%s)",
				       h->name, refs[first].pool->interface, o->ptr);
			break;
		case HOST_KEY_MAC:
			errlist_add_at(errs, h->ptr, "/mac", "MAC %s is also reserved for \"%s\" (%s)",
				       mac_format(h->mac, buf), o->name, o->ptr);
			break;
		case HOST_KEY_V4:
		case HOST_KEY_V6:
			errlist_add_at(errs, h->ptr, "/address",
				       "%s is also reserved for \"%s\" (%s)",
				       addr_format(k == HOST_KEY_V4 ? &h->v4 : &h->v6, buf),
				       o->name, o->ptr);
			break;
		}
	}
}

void check_dhcp_hosts(const struct intent *in, struct errlist *errs)
{
	static const unsigned need[] = {
		[HOST_KEY_NAME] = 0,
		[HOST_KEY_MAC] = 0,
		[HOST_KEY_V4] = DHCP_HOST_HAS_V4,
		[HOST_KEY_V6] = DHCP_HOST_HAS_V6,
	};
	struct host_ref *refs;
	size_t total = 0, i, j, n;
	unsigned k;

	for (i = 0; i < in->dhcp->n; i++)
		total += in->dhcp->v[i].n_hosts;
	if (total < 2)
		return;
	refs = calloc(total, sizeof(*refs));
	if (!refs) {
		errs->oom = 1;
		return;
	}
	for (k = HOST_KEY_NAME; k <= HOST_KEY_V6; k++) {
		n = 0;
		for (i = 0; i < in->dhcp->n; i++)
			for (j = 0; j < in->dhcp->v[i].n_hosts; j++) {
				const struct dhcp_host *h = &in->dhcp->v[i].hosts[j];

				if ((h->has & need[k]) != need[k])
					continue;
				refs[n].pool = &in->dhcp->v[i];
				refs[n].host = h;
				refs[n].seq = n;
				n++;
			}
		check_unique(errs, refs, n, (enum host_key)k);
	}
	free(refs);
}
