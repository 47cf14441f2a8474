/* SPDX-License-Identifier: MIT */
/* "dns": the caching, forwarding resolver (listen, forwarders, zones, records, cache). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/strbuf.h"
#include "read.h"
#include "sections.h"

/* dnsmasq (2.90) warns that a cache larger than 10000 names "may cause performance issues,
 * and is unlikely to be useful" (and silently caps it at 5000000): 10000 is our maximum. */
#define CACHE_SIZE_MAX 10000
#define CACHE_SIZE_DEFAULT 10000

static const char *const dns_keys[] = {
	"listen", "forwarders", "zones", "records", "cache_size", NULL,
};

/* ---- structure ---- */

/* An upstream resolver: reachable without a scope, and not the resolver itself. */
static int read_server(struct jr *r, const struct json_t *v, void *ret)
{
	char buf[ADDR_STRLEN];
	struct ip_addr a;

	if (read_unicast_addr(r, v, &a) < 0)
		return -1;
	if (addr_is_ipv6_link_local(&a)) {
		jr_error(r, "%s is a link-local address", addr_format(&a, buf));
		return -1;
	}
	*(struct ip_addr *)ret = a;
	return 1;
}

/* An array value of at most LIMIT_SMALL distinct addresses read with fn. */
static int read_addr_list(struct jr *r, const struct json_t *v, bool empty_ok, read_fn fn,
			  struct ip_addr **ret, size_t *ret_n)
{
	size_t i, j;
	int res;

	res = read_array_value(r, v, LIMIT_SMALL, sizeof(struct ip_addr), fn, ret, ret_n);
	if (res < 0)
		return -1;
	if (!empty_ok && *ret_n == 0) {
		jr_error(r, "must not be empty");
		return -1;
	}
	for (i = 1; i < *ret_n; i++)
		for (j = 0; j < i; j++)
			if (addr_equal(&(*ret)[i], &(*ret)[j])) {
				size_t m = jr_push_index(r, i);

				jr_error(r, "duplicate address (also at index %zu)", j);
				jr_pop(r, m);
				break;
			}
	return 1;
}

static void parse_listen(struct jr *r, const struct json_t *v, struct intent *in)
{
	struct dns *dns = &in->dns;
	size_t i, j;

	if (!jr_member(v, "listen")) {
		/* Every interface with a DHCP pool ("dhcp" is parsed before "dns"). */
		if (in->dhcp->n) {
			dns->listen = calloc(in->dhcp->n, sizeof(char *));
			if (!dns->listen) {
				jr_error(r, "out of memory");
				return;
			}
		}
		for (i = 0; i < in->dhcp->n; i++) {
			dns->listen[i] = strdup(in->dhcp->v[i].interface);
			if (!dns->listen[i]) {
				jr_error(r, "out of memory");
				return;
			}
			dns->n_listen++;
		}
		return;
	}
	dns->has |= DNS_HAS_LISTEN;
	if (read_array(r, v, "listen", false, LIMIT_LIST, sizeof(char *), read_name, &dns->listen,
		       &dns->n_listen) < 0)
		return;
	for (i = 1; i < dns->n_listen; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(dns->listen[i], dns->listen[j])) {
				size_t m = jr_push_key(r, "listen");

				jr_push_index(r, i);
				jr_error(r, "duplicate interface \"%s\" (also at index %zu)",
					 dns->listen[i], j);
				jr_pop(r, m);
				break;
			}
}

static void parse_zones(struct jr *r, const struct json_t *v, struct dns *dns)
{
	const struct json_t *val;
	const char *key;

	dns->has |= DNS_HAS_ZONES;
	if (!jr_map(r, v, LIMIT_LIST) || jr_size(v) == 0)
		return;
	dns->zones = calloc(jr_size(v), sizeof(*dns->zones));
	if (!dns->zones) {
		jr_error(r, "out of memory");
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);
		struct dns_zone *z = &dns->zones[dns->n_zones++];

		z->domain = strdup(key);
		z->ptr = jr_ptr_dup(r);
		check_map_dns_name(r, key);
		read_addr_list(r, val, false, read_server, &z->servers, &z->n_servers);
		jr_pop(r, mark);
	}
}

static void parse_records(struct jr *r, const struct json_t *v, struct dns *dns)
{
	const struct json_t *val;
	const char *key;

	dns->has |= DNS_HAS_RECORDS;
	if (!jr_map(r, v, LIMIT_MANY) || jr_size(v) == 0)
		return;
	dns->records = calloc(jr_size(v), sizeof(*dns->records));
	if (!dns->records) {
		jr_error(r, "out of memory");
		return;
	}
	jr_object_foreach(v, key, val) {
		size_t mark = jr_push_key(r, key);
		struct dns_record *rec = &dns->records[dns->n_records++];

		rec->name = strdup(key);
		rec->ptr = jr_ptr_dup(r);
		check_map_dns_name(r, key);
		read_addr_list(r, val, false, read_addr, &rec->addrs, &rec->n_addrs);
		jr_pop(r, mark);
	}
}

void parse_dns(struct jr *r, const struct json_t *v, struct intent *in)
{
	struct dns *dns = &in->dns;
	const struct json_t *m;
	int64_t i;

	dns->present = true;
	dns->ptr = jr_ptr_dup(r);
	dns->cache_size = CACHE_SIZE_DEFAULT;
	if (!jr_object(r, v, dns_keys))
		return;
	parse_listen(r, v, in);
	m = jr_member(v, "forwarders");
	if (m) {
		size_t mark = jr_push_key(r, "forwarders");

		dns->has |= DNS_HAS_FORWARDERS;
		read_addr_list(r, m, true, read_server, &dns->forwarders, &dns->n_forwarders);
		jr_pop(r, mark);
	}
	m = jr_member(v, "zones");
	if (m) {
		size_t mark = jr_push_key(r, "zones");

		parse_zones(r, m, dns);
		jr_pop(r, mark);
	}
	m = jr_member(v, "records");
	if (m) {
		size_t mark = jr_push_key(r, "records");

		parse_records(r, m, dns);
		jr_pop(r, mark);
	}
	if (jr_int(r, v, "cache_size", false, 0, CACHE_SIZE_MAX, &i) > 0) {
		dns->cache_size = (uint32_t)i;
		dns->has |= DNS_HAS_CACHE_SIZE;
	}
}

/* ---- cross-field rules ---- */

/* Upstream servers must not be the router itself: the query would loop. */
static void check_servers(const struct intent *in, struct errlist *errs, const char *ptr,
			  const struct ip_addr *v, size_t n)
{
	char buf[ADDR_STRLEN], idx[24];
	size_t i;

	for (i = 0; i < n; i++)
		if (intent_owns_addr(in, &v[i])) {
			snprintf(idx, sizeof(idx), "/%zu", i);
			errlist_add_at(errs, ptr, idx,
			       "%s is an address of this router: queries would loop",
			       addr_format(&v[i], buf));
		}
}

/* A name the resolver answers for, with the pointer of what defines it. */
struct dns_name {
	const char *name;
	const char *ptr;
	size_t seq; /* document order */
	char *owned; /* a built name, freed with the list */
};

static int dns_name_cmp(const void *x, const void *y)
{
	const struct dns_name *a = x, *b = y;
	int c = strcasecmp(a->name, b->name);

	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int dns_name_find(const void *key, const void *elem)
{
	return strcasecmp(key, ((const struct dns_name *)elem)->name);
}

/* Names that differ only in case are the same name to DNS: report each later one. */
static void check_case_dups(struct errlist *errs, struct dns_name *v, size_t n,
			    const char *what)
{
	size_t i, first = 0;

	qsort(v, n, sizeof(*v), dns_name_cmp);
	for (i = 1; i < n; i++) {
		if (strcasecmp(v[i].name, v[first].name)) {
			first = i;
			continue;
		}
		errlist_add_at(errs, v[i].ptr, "", "%s \"%s\" is also at %s (DNS names ignore case)", what,
		       v[i].name, v[first].ptr);
	}
}

static void check_zones_records(struct errlist *errs, const struct dns *dns)
{
	struct dns_name *v;
	size_t i, n = dns->n_zones > dns->n_records ? dns->n_zones : dns->n_records;

	if (n < 2)
		return;
	v = calloc(n, sizeof(*v));
	if (!v) {
		errs->oom = 1;
		return;
	}
	for (i = 0; i < dns->n_zones; i++)
		v[i] = (struct dns_name){.name = dns->zones[i].domain, .ptr = dns->zones[i].ptr,
					 .seq = i};
	check_case_dups(errs, v, dns->n_zones, "zone");
	for (i = 0; i < dns->n_records; i++)
		v[i] = (struct dns_name){.name = dns->records[i].name, .ptr = dns->records[i].ptr,
					 .seq = i};
	check_case_dups(errs, v, dns->n_records, "record");
	free(v);
}

/* The names of the DHCP reservations: "host" and, with a domain, "host.domain". */
static struct dns_name *dhcp_names(const struct intent *in, size_t *ret_n)
{
	struct dns_name *v;
	size_t total = 0, n = 0, i, j;

	for (i = 0; i < in->dhcp->n; i++)
		total += in->dhcp->v[i].n_hosts * 2;
	if (!total)
		return NULL;
	v = calloc(total, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < in->dhcp->n; i++)
		for (j = 0; j < in->dhcp->v[i].n_hosts; j++) {
			const struct dhcp_host *h = &in->dhcp->v[i].hosts[j];
			struct strbuf fqdn = {0};

			v[n] = (struct dns_name){.name = h->name, .ptr = h->ptr, .seq = n};
			n++;
			if (!(in->dhcp->v[i].has & DHCP_HAS_DOMAIN))
				continue;
			strbuf_printf(&fqdn, "%s.%s", h->name, in->dhcp->v[i].domain);
			v[n] = (struct dns_name){.ptr = h->ptr, .seq = n};
			v[n].owned = strbuf_steal(&fqdn);
			v[n].name = v[n].owned ? v[n].owned : h->name;
			n++;
		}
	qsort(v, n, sizeof(*v), dns_name_cmp);
	*ret_n = n;
	return v;
}

/* Records may not take the name of a DHCP reservation: dnsmasq would refuse the name to
 * the client or answer with both addresses. */
static void check_records_vs_dhcp(const struct intent *in, struct errlist *errs)
{
	struct dns_name *names;
	size_t n = 0, i;

	if (!in->dns.n_records)
		return;
	names = dhcp_names(in, &n);
	if (!names)
		return;
	for (i = 0; i < in->dns.n_records; i++) {
		const struct dns_record *rec = &in->dns.records[i];
		const struct dns_name *hit;

		hit = bsearch(rec->name, names, n, sizeof(*names), dns_name_find);
		if (hit)
			errlist_add_at(errs, rec->ptr, "", "\"%s\" is also the name of DHCP reservation %s",
			       rec->name, hit->ptr);
	}
	for (i = 0; i < n; i++)
		free(names[i].owned);
	free(names);
}

void check_dns(const struct intent *in, struct errlist *errs)
{
	const struct dns *dns = &in->dns;
	struct strbuf p = {0};
	size_t i;

	if (!dns->present)
		return;
	for (i = 0; dns->has & DNS_HAS_LISTEN && i < dns->n_listen; i++) {
		const char *name = dns->listen[i];
		char idx[32];

		if (intent_iface(in, name) || intent_wg(in, name))
			continue;
		snprintf(idx, sizeof(idx), "/listen/%zu", i);
		if (intent_ipsec(in, name))
			errlist_add_at(errs, dns->ptr, idx,
			       "\"%s\" is an IPsec tunnel: the resolver listens on interfaces and "
			       "WireGuard tunnels",
			       name);
		else
			errlist_add_at(errs, dns->ptr, idx, "unknown interface \"%s\"", name);
	}
	strbuf_printf(&p, "%s/forwarders", dns->ptr);
	check_servers(in, errs, strbuf_str(&p), dns->forwarders, dns->n_forwarders);
	strbuf_done(&p);
	for (i = 0; i < dns->n_zones; i++)
		check_servers(in, errs, dns->zones[i].ptr, dns->zones[i].servers,
			      dns->zones[i].n_servers);
	check_zones_records(errs, dns);
	check_records_vs_dhcp(in, errs);
}

/* ---- memory ---- */

void free_dns(struct intent *in)
{
	struct dns *dns = &in->dns;
	size_t i;

	free(dns->ptr);
	strv_free(dns->listen, dns->n_listen);
	free(dns->forwarders);
	for (i = 0; i < dns->n_zones; i++) {
		free(dns->zones[i].domain);
		free(dns->zones[i].ptr);
		free(dns->zones[i].servers);
	}
	free(dns->zones);
	for (i = 0; i < dns->n_records; i++) {
		free(dns->records[i].name);
		free(dns->records[i].ptr);
		free(dns->records[i].addrs);
	}
	free(dns->records);
}
