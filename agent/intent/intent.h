/* SPDX-License-Identifier: MIT */
/*
 * The intent model: one typed structure per section of intent v1 (docs/intent.md).
 *
 * Conventions:
 *  - Objects of the JSON document ("name → X") become arrays in document order, each element
 *    carrying its name.
 *  - Every element keeps `ptr`, its JSON Pointer, so that later errors (cross-field checks,
 *    kernel errors) can name the place in the document.
 *  - Optional fields have a presence bit in `has` (FOO_HAS_BAR); defaults are filled in by the
 *    parser, so a reader never has to know them, and `has` still tells whether the operator
 *    wrote the field.
 *  - The model owns all its memory; intent_free() releases it. The sections that an intent
 *    read against another may share with it (routes, firewall, NAT, DHCP) are reference
 *    counted: each holder (an intent, or a later layer keeping what it derived from the
 *    section) holds a reference, and the last one frees the section. A section never
 *    changes once read; its count is the one field that does.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

#define INTENT_VERSION 1
#define NAME_MAX_LEN 15

/* ---- interfaces ---- */

enum {
	IFACE_HAS_MTU = 1 << 0,
	IFACE_HAS_ENABLED = 1 << 1,
	IFACE_HAS_MANAGEMENT = 1 << 2,
	IFACE_HAS_ADDRESSES = 1 << 3,
};

struct iface {
	char *name;
	char *ptr;
	unsigned has;
	uint8_t mac[6];
	struct ip_prefix *addrs; /* interface addresses: address + on-link length */
	size_t n_addrs;
	uint32_t mtu; /* valid if IFACE_HAS_MTU, else "leave unchanged" */
	bool enabled; /* default true */
	bool management;
};

/* ---- routes ---- */

enum {
	ROUTE_HAS_VIA = 1 << 0,
	ROUTE_HAS_INTERFACE = 1 << 1,
	ROUTE_HAS_METRIC = 1 << 2,
};

struct route {
	char *ptr;
	unsigned has;
	struct ip_prefix to;
	struct ip_addr via;
	char *interface;
	uint32_t metric; /* default 0 */
};

struct routes {
	unsigned refs;
	struct route *v;
	size_t n;
};

/* ---- firewall ---- */

enum fw_action { FW_ACCEPT, FW_DROP, FW_REJECT, _FW_ACTION_MAX };
enum fw_policy { FW_POLICY_ACCEPT, FW_POLICY_DROP, _FW_POLICY_MAX };
enum fw_set_type { FW_SET_IPV4, FW_SET_IPV6, FW_SET_PORT, _FW_SET_TYPE_MAX };
enum fw_chain_kind { FW_INPUT, FW_FORWARD, FW_OUTPUT, _FW_CHAIN_MAX };

struct fw_set {
	char *name;
	char *ptr;
	enum fw_set_type type;
	struct ip_prefix *prefixes; /* ipv4/ipv6 sets; bare addresses become host prefixes */
	size_t n_prefixes;
	struct port_range *ports; /* port sets */
	size_t n_ports;
};

/* A list of prefixes and "@set" references, as in a rule's source or destination. */
struct fw_addr_match {
	struct ip_prefix *prefixes;
	size_t n_prefixes;
	char **sets; /* set names, without the '@' */
	size_t n_sets;
};

/* A list of ports/ranges and "@set" references (port sets). */
struct fw_port_match {
	struct port_range *ranges;
	size_t n_ranges;
	char **sets;
	size_t n_sets;
};

enum {
	FW_RULE_HAS_IN = 1 << 0,
	FW_RULE_HAS_OUT = 1 << 1,
	FW_RULE_HAS_SOURCE = 1 << 2,
	FW_RULE_HAS_DESTINATION = 1 << 3,
	FW_RULE_HAS_PROTOCOL = 1 << 4,
	FW_RULE_HAS_PORTS = 1 << 5,
	FW_RULE_HAS_SOURCE_PORTS = 1 << 6,
	FW_RULE_HAS_ICMP_TYPES = 1 << 7,
	FW_RULE_HAS_LOG = 1 << 8,
	FW_RULE_HAS_COMMENT = 1 << 9,
};

struct fw_rule {
	char *ptr;
	unsigned has;
	enum fw_action action;
	char **in; /* interface or tunnel names */
	size_t n_in;
	char **out;
	size_t n_out;
	struct fw_addr_match source;
	struct fw_addr_match destination;
	uint8_t protocol; /* IP protocol number, if FW_RULE_HAS_PROTOCOL */
	struct fw_port_match ports;
	struct fw_port_match source_ports;
	uint8_t *icmp_types; /* type numbers of the rule's ICMP family */
	size_t n_icmp_types;
	bool log;	  /* FW_RULE_HAS_LOG: log matches */
	char *log_prefix; /* NULL for "log": true */
	char *comment;
	int family; /* derived: 0 (both), AF_INET or AF_INET6 */
};

struct fw_chain {
	bool present; /* written in the intent */
	char *ptr;
	enum fw_policy policy; /* defaults: input drop, forward drop, output accept */
	struct fw_rule *rules;
	size_t n_rules;
};

enum {
	FW_HAS_MANAGEMENT_SOURCES = 1 << 0,
};

struct firewall {
	unsigned refs;
	bool present;
	unsigned has;
	struct fw_set *sets;
	size_t n_sets;
	struct fw_chain chains[_FW_CHAIN_MAX];
	/* FW_HAS_MANAGEMENT_SOURCES: the sources SSH to a management interface is admitted from
	 * (non-empty, no duplicates); absent: any source. */
	struct ip_prefix *management_sources;
	size_t n_management_sources;
};

/* ---- nat ---- */

enum nat_proto { NAT_TCP, NAT_UDP, NAT_TCP_UDP, _NAT_PROTO_MAX };

enum {
	NAT_SOURCE_HAS_SOURCE = 1 << 0,
	NAT_SOURCE_HAS_TO = 1 << 1,
	NAT_SOURCE_HAS_MASQUERADE = 1 << 2,
};

struct nat_source {
	char *ptr;
	unsigned has;
	char *out;
	struct ip_prefix *sources;
	size_t n_sources;
	struct ip_addr to; /* NAT_SOURCE_HAS_TO */
	bool masquerade;
};

enum {
	NAT_DEST_HAS_TO_PORTS = 1 << 0,
	NAT_DEST_HAS_OPEN_FIREWALL = 1 << 1,
};

struct nat_dest {
	char *ptr;
	unsigned has;
	char *in;
	struct ip_addr destination; /* the public address */
	enum nat_proto protocol;
	struct port_range ports;
	struct ip_addr to;
	struct port_range to_ports; /* defaults to ports */
	bool open_firewall;	    /* default true */
};

enum {
	NAT_ONE_HAS_OPEN_FIREWALL = 1 << 0,
};

struct nat_one_to_one {
	char *ptr;
	unsigned has;
	char *interface;
	struct ip_addr public_addr;
	struct ip_addr private_addr;
	bool open_firewall; /* default true */
};

struct nat {
	unsigned refs;
	bool present;
	struct nat_source *source;
	size_t n_source;
	struct nat_dest *destination;
	size_t n_destination;
	struct nat_one_to_one *one_to_one;
	size_t n_one_to_one;
};

/* ---- dhcp ---- */

struct addr_range {
	char *ptr;
	struct ip_addr start;
	struct ip_addr end;
};

struct dhcp_static_route {
	char *ptr;
	struct ip_prefix to;
	struct ip_addr via;
};

enum {
	DHCP_HOST_HAS_V4 = 1 << 0,
	DHCP_HOST_HAS_V6 = 1 << 1,
};

struct dhcp_host {
	char *name;
	char *ptr;
	unsigned has;
	uint8_t mac[6];
	struct ip_addr v4;
	struct ip_addr v6;
};

enum dhcp6_mode { DHCP6_SLAAC, DHCP6_STATELESS, DHCP6_STATEFUL, _DHCP6_MODE_MAX };

enum {
	DHCP_HAS_RANGES = 1 << 0,
	DHCP_HAS_LEASE = 1 << 1,
	DHCP_HAS_ROUTER = 1 << 2,
	DHCP_HAS_DNS_SERVERS = 1 << 3,
	DHCP_HAS_DOMAIN = 1 << 4,
	DHCP_HAS_NTP_SERVERS = 1 << 5,
	DHCP_HAS_MTU = 1 << 6,
	DHCP_HAS_STATIC_ROUTES = 1 << 7,
	DHCP_HAS_HOSTS = 1 << 8,
	DHCP_HAS_IPV6 = 1 << 9,
};

struct dhcp_pool {
	char *interface; /* the key */
	char *ptr;
	unsigned has;
	struct addr_range *ranges;
	size_t n_ranges;
	uint32_t lease_seconds; /* default 3600 */
	struct ip_addr router;	/* DHCP_HAS_ROUTER; else derived when rendering */
	struct ip_addr *dns_servers;
	size_t n_dns_servers;
	char *domain;
	struct ip_addr *ntp_servers;
	size_t n_ntp_servers;
	uint32_t mtu;
	struct dhcp_static_route *static_routes;
	size_t n_static_routes;
	struct dhcp_host *hosts;
	size_t n_hosts;
	enum dhcp6_mode ipv6_mode; /* DHCP_HAS_IPV6 */
	char *ipv6_ptr;
	struct addr_range *ipv6_ranges;
	size_t n_ipv6_ranges;
};

struct dhcp {
	unsigned refs;
	struct dhcp_pool *v; /* the pools */
	size_t n;
};

/* ---- dns ---- */

struct dns_zone {
	char *domain;
	char *ptr;
	struct ip_addr *servers;
	size_t n_servers;
};

struct dns_record {
	char *name;
	char *ptr;
	struct ip_addr *addrs;
	size_t n_addrs;
};

enum {
	DNS_HAS_LISTEN = 1 << 0,
	DNS_HAS_FORWARDERS = 1 << 1,
	DNS_HAS_ZONES = 1 << 2,
	DNS_HAS_RECORDS = 1 << 3,
	DNS_HAS_CACHE_SIZE = 1 << 4,
};

struct dns {
	bool present;
	char *ptr;
	unsigned has;
	char **listen; /* default: every interface with a DHCP pool */
	size_t n_listen;
	struct ip_addr *forwarders;
	size_t n_forwarders;
	struct dns_zone *zones;
	size_t n_zones;
	struct dns_record *records;
	size_t n_records;
	uint32_t cache_size; /* default 10000 */
};

/* ---- vpn ---- */

enum {
	IPSEC_HAS_LOCAL_ID = 1 << 0,
	IPSEC_HAS_REMOTE_ID = 1 << 1,
	IPSEC_HAS_IKE_VERSION = 1 << 2,
	IPSEC_HAS_IKE_PROPOSALS = 1 << 3,
	IPSEC_HAS_ESP_PROPOSALS = 1 << 4,
	IPSEC_HAS_DPD = 1 << 5,
	IPSEC_HAS_INITIATE = 1 << 6,
};

struct ipsec_tunnel {
	char *name;
	char *ptr;
	unsigned has;
	struct ip_addr local_address;
	bool remote_any; /* "%any": responder only */
	struct ip_addr remote_address;
	char *psk; /* secret: never logged, never shown */
	char *local_id;
	char *remote_id;
	struct ip_prefix *local_subnets;
	size_t n_local_subnets;
	struct ip_prefix *remote_subnets;
	size_t n_remote_subnets;
	unsigned ike_version; /* default 2 */
	char **ike_proposals; /* default: strongSwan's defaults */
	size_t n_ike_proposals;
	char **esp_proposals;
	size_t n_esp_proposals;
	uint32_t dpd_seconds; /* default 30; 0 disables */
	bool initiate;	      /* default: true, false for "%any" */
};

enum {
	WG_PEER_HAS_PRESHARED_KEY = 1 << 0,
	WG_PEER_HAS_ENDPOINT = 1 << 1,
	WG_PEER_HAS_KEEPALIVE = 1 << 2,
};

struct wg_peer {
	char *name;
	char *ptr;
	unsigned has;
	uint8_t public_key[32];
	uint8_t preshared_key[32]; /* secret */
	struct ip_addr endpoint;
	uint16_t endpoint_port;
	struct ip_prefix *allowed_ips;
	size_t n_allowed_ips;
	uint16_t keepalive_seconds;
};

enum {
	WG_HAS_LISTEN_PORT = 1 << 0,
	WG_HAS_ADDRESSES = 1 << 1,
	WG_HAS_MTU = 1 << 2,
};

struct wg_tunnel {
	char *name;
	char *ptr;
	unsigned has;
	uint8_t private_key[32]; /* secret */
	uint16_t listen_port;
	struct ip_prefix *addrs;
	size_t n_addrs;
	uint32_t mtu;
	struct wg_peer *peers;
	size_t n_peers;
};

struct vpn {
	bool present;
	struct ipsec_tunnel *ipsec;
	size_t n_ipsec;
	struct wg_tunnel *wireguard;
	size_t n_wireguard;
};

/* ---- vrrp ---- */

struct vrrp_group {
	char *name;
	char *ptr;
	char *interface;
	uint8_t vrid;
	struct ip_prefix *vips; /* virtual_addresses */
	size_t n_vips;
	struct ip_addr *unicast_peers;
	size_t n_unicast_peers;
};

enum {
	VRRP_HAS_PRIORITY = 1 << 0,
	VRRP_HAS_ADVERT = 1 << 1,
	VRRP_HAS_PREEMPT = 1 << 2,
	VRRP_HAS_SYNC = 1 << 3,
};

struct vrrp {
	bool present;
	char *ptr;
	unsigned has;
	uint8_t priority;	     /* default 100 */
	uint32_t advert_interval_ms; /* default 1000 */
	bool preempt;		     /* default false */
	struct vrrp_group *groups;
	size_t n_groups;
	char *sync_ptr;
	char *sync_interface; /* VRRP_HAS_SYNC */
	struct ip_addr sync_peer;
};

/* ---- the whole intent ---- */

enum {
	INTENT_HAS_HOSTNAME = 1 << 0,
	INTENT_HAS_ROUTES = 1 << 1,
};

struct intent {
	unsigned has;
	int64_t version;
	int64_t generation;
	char *hostname;
	struct iface *ifaces;
	size_t n_ifaces;
	/* Never NULL in a loaded intent (empty when the document has no such section); maybe
	 * shared with other intents (intent_load_tree_from). */
	struct routes *routes;
	struct firewall *firewall;
	struct nat *nat;
	struct dhcp *dhcp;
	struct dns dns;
	struct vpn vpn;
	struct vrrp vrrp;
};

struct intent *intent_free(struct intent *in);

/* A reference more to a shared section (NULL-safe), and one less: the last frees it. The unref
 * functions return NULL. */
struct routes *routes_ref(struct routes *s);
struct routes *routes_unref(struct routes *s);
struct firewall *firewall_ref(struct firewall *s);
struct firewall *firewall_unref(struct firewall *s);
struct nat *nat_ref(struct nat *s);
struct nat *nat_unref(struct nat *s);
struct dhcp *dhcp_ref(struct dhcp *s);
struct dhcp *dhcp_unref(struct dhcp *s);

/* Look-ups by name; NULL when absent. */
const struct iface *intent_iface(const struct intent *in, const char *name);
const struct fw_set *intent_fw_set(const struct intent *in, const char *name);
const struct wg_tunnel *intent_wg(const struct intent *in, const char *name);
const struct ipsec_tunnel *intent_ipsec(const struct intent *in, const char *name);
const struct dhcp_pool *intent_dhcp(const struct intent *in, const char *iface);
/* Whether a name is an interface or a tunnel (the one link namespace). */
bool intent_has_link(const struct intent *in, const char *name);

/* The addresses each link owns (an interface's, a WireGuard tunnel's, the VRRP virtual
 * addresses on an interface), sorted by address: for questions asked many times. */
struct owned_addr {
	struct ip_addr a;
	const char *name; /* the link's (borrowed from the intent) */
};
struct owned_addrs {
	struct owned_addr *v;
	size_t n;
};
int intent_owned_addrs(const struct intent *in, struct owned_addrs *ret); /* 0 or -ENOMEM */
/* Whether link `name` owns a (the intent o was built from). */
bool owned_addrs_has(const struct owned_addrs *o, const char *name, const struct ip_addr *a);
void owned_addrs_done(struct owned_addrs *o);

/* Enum tables (intent-enums.c); _from_string returns -EINVAL for unknown strings. */
const char *fw_action_to_string(enum fw_action v);
int fw_action_from_string(const char *s);
const char *fw_policy_to_string(enum fw_policy v);
int fw_policy_from_string(const char *s);
const char *fw_set_type_to_string(enum fw_set_type v);
int fw_set_type_from_string(const char *s);
const char *fw_chain_kind_to_string(enum fw_chain_kind v);
int fw_chain_kind_from_string(const char *s);
const char *nat_proto_to_string(enum nat_proto v);
int nat_proto_from_string(const char *s);
const char *dhcp6_mode_to_string(enum dhcp6_mode v);
int dhcp6_mode_from_string(const char *s);
/* IP protocol names of the firewall ("tcp", ...), number <-> name; NULL/-EINVAL if none. */
const char *ip_proto_to_string(unsigned proto);
int ip_proto_from_string(const char *s);
/* ICMP type names as nft spells them, per family (AF_INET: icmp, AF_INET6: icmpv6). */
const char *icmp_type_to_string(int family, unsigned type);
int icmp_type_from_string(int family, const char *s);
