/* SPDX-License-Identifier: MIT */
/* Readers for the intent's value types (names, addresses, prefixes, ports, ...), on top of
 * lib/jread.h. Same return convention: 1 valid, 0 absent, -1 invalid (reported). */
#pragma once

#include "lib/addr.h"
#include "lib/jread.h"

/* Array length limits (docs/intent.md, "Limits"). */
#define LIMIT_SMALL 64	       /* addresses of one interface, servers, proposals, ... */
#define LIMIT_LIST 4096	       /* interfaces, tunnels, pools, ranges, zones, peers */
#define LIMIT_MANY 65536       /* routes, rules, NAT entries, DHCP hosts, records */
#define LIMIT_ELEMENTS 1048576 /* elements of one firewall set */

/* The smallest MTU of a link with IPv6 (RFC 8200): below it the kernel drops the link's
 * IPv6 addresses on its own. */
#define MTU_MIN_IPV6 1280

typedef int (*read_fn)(struct jr *r, const struct json_t *v, void *ret);

/* Reads member `key` of obj, an array of at most max elements, each with fn into a new
 * zeroed array of elem_size-byte elements. Every element is kept, valid or not, so that the
 * section's destructor frees whatever a reader allocated before it failed (a model with any
 * error is discarded whole). Returns 1, 0 when absent, -1 when any element was invalid. */
int read_array(struct jr *r, const struct json_t *obj, const char *key, bool required,
	       size_t max, size_t elem_size, read_fn fn, void *ret_items, size_t *ret_n);
/* The same for an array value at the current pointer. */
int read_array_value(struct jr *r, const struct json_t *v, size_t max, size_t elem_size,
		     read_fn fn, void *ret_items, size_t *ret_n);
/* A name or an array of names (rule "in"/"out"). */
int read_names(struct jr *r, const struct json_t *obj, const char *key, char ***ret,
	       size_t *ret_n);

/* Value readers, usable as read_fn. */
int read_name(struct jr *r, const struct json_t *v, void *ret /* char ** */);
int read_addr(struct jr *r, const struct json_t *v, void *ret /* struct ip_addr * */);
/* A unicast address (addr_is_unicast): a host, a peer, a server, a translation target. */
int read_unicast_addr(struct jr *r, const struct json_t *v, void *ret /* struct ip_addr * */);
/* A network prefix: host bits must be zero. */
int read_prefix(struct jr *r, const struct json_t *v, void *ret /* struct ip_prefix * */);
/* A prefix or a bare address (a host prefix). */
int read_prefix_or_host(struct jr *r, const struct json_t *v, void *ret);
/* An interface address "10.1.1.1/24": a usable host address with its on-link length. */
int read_iface_addr(struct jr *r, const struct json_t *v, void *ret);
/* A port (integer 1-65535) or a range string "8000-8010". */
int read_port_range(struct jr *r, const struct json_t *v, void *ret /* struct port_range * */);
int read_mac(struct jr *r, const struct json_t *v, void *ret /* uint8_t[6] */);
/* An RFC 1123 label (1-63 characters). */
int read_hostname(struct jr *r, const struct json_t *v, void *ret /* char ** */);
/* A DNS name of labels separated by dots, 1-253 characters, no trailing dot. */
int read_dns_name(struct jr *r, const struct json_t *v, void *ret /* char ** */);

/* Checks a map key (the current pointer is the key's) against the name rule. */
bool name_is_valid(const char *s);
bool check_map_name(struct jr *r, const char *key);
bool dns_name_is_valid(const char *s);
/* Checks a map key that is a DNS name (zones, records). */
bool check_map_dns_name(struct jr *r, const char *key);

/* Member readers: push key, read with fn, pop. */
int read_member(struct jr *r, const struct json_t *obj, const char *key, bool required,
		read_fn fn, void *ret);
