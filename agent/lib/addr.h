/* SPDX-License-Identifier: MIT */
/* IP addresses, prefixes, MACs and port ranges: parsing, formatting, comparing. Pure. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ip_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};

/* An address with a prefix length: a network ("10.1.0.0/16") or an interface address
 * ("10.1.1.1/24", host bits allowed). */
struct ip_prefix {
	struct ip_addr addr;
	uint8_t len;
};

struct port_range {
	uint16_t first;
	uint16_t last; /* == first for a single port */
};

#define ADDR_STRLEN 46		/* INET6_ADDRSTRLEN */
#define PREFIX_STRLEN (46 + 4)	/* address "/" length */
#define MAC_STRLEN 18
#define PORT_RANGE_STRLEN 12	/* "65535-65535" */

/* Parsers return 0 or -EINVAL; they accept only the canonical spellings inet_pton takes. */
int addr_parse(const char *s, struct ip_addr *ret);
/* "a.b.c.d/len" or "x::/len"; the length is required. */
int prefix_parse(const char *s, struct ip_prefix *ret);
/* A prefix, or a bare address read as a host prefix (/32 or /128). */
int prefix_parse_or_host(const char *s, struct ip_prefix *ret);
int mac_parse(const char *s, uint8_t ret[6]);

const char *addr_format(const struct ip_addr *a, char buf[ADDR_STRLEN]);
const char *prefix_format(const struct ip_prefix *p, char buf[PREFIX_STRLEN]);
const char *mac_format(const uint8_t mac[6], char buf[MAC_STRLEN]);
/* A bare address for a host prefix (/32, /128), else the prefix: as set elements are written. */
const char *prefix_format_short(const struct ip_prefix *p, char buf[PREFIX_STRLEN]);
/* "80" or "8000-8010". */
const char *port_range_format(const struct port_range *r, char buf[PORT_RANGE_STRLEN]);

unsigned addr_max_len(int family); /* 32 or 128 */
bool addr_equal(const struct ip_addr *a, const struct ip_addr *b);
int addr_cmp(const struct ip_addr *a, const struct ip_addr *b); /* family first, then bytes */
bool addr_is_unspecified(const struct ip_addr *a);
bool addr_is_multicast(const struct ip_addr *a);
bool addr_is_loopback(const struct ip_addr *a);
/* Not unspecified, multicast, loopback or the IPv4 limited broadcast 255.255.255.255. */
bool addr_is_unicast(const struct ip_addr *a);
/* "IPv4" or "IPv6". */
const char *addr_family_name(int family);
/* 169.254.0.0/16 or fe80::/10: meaningful on one link only. */
bool addr_is_link_local(const struct ip_addr *a);
/* fe80::/10 only: IPv6 link-local addresses need a scope (an interface) to be reached. */
bool addr_is_ipv6_link_local(const struct ip_addr *a);
/* The prefix with the host bits cleared. */
struct ip_prefix prefix_network(const struct ip_prefix *p);
bool prefix_has_host_bits(const struct ip_prefix *p);
bool prefix_contains(const struct ip_prefix *p, const struct ip_addr *a);
bool prefix_overlaps(const struct ip_prefix *a, const struct ip_prefix *b);
/* Host bits all zero or all one (IPv4 only; /31 and /32 have none). */
bool prefix_is_network_or_broadcast(const struct ip_prefix *p);

/* "80" or "8000-8010"; 1-65535, first <= last. Returns -EINVAL, or -ERANGE when reversed. */
int port_range_parse(const char *s, struct port_range *ret);
unsigned port_range_len(const struct port_range *r);
