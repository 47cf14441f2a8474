/* SPDX-License-Identifier: MIT */
/* String tables of the model's enums. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "intent.h"
#include "lib/cleanup.h"

static int table_lookup(const char *const *table, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (table[i] && !strcmp(table[i], s))
			return (int)i;
	return -EINVAL;
}

#define DEFINE_STRING_TABLE_SCOPE(scope, name, type, ...)                                          \
	static const char *const name##_table[] = {__VA_ARGS__};                                   \
	scope const char *name##_to_string(type v)                                                 \
	{                                                                                          \
		return (size_t)v < ELEMENTSOF(name##_table) ? name##_table[v] : NULL;              \
	}                                                                                          \
	scope int name##_from_string(const char *s)                                                \
	{                                                                                          \
		return table_lookup(name##_table, ELEMENTSOF(name##_table), s);                    \
	}
#define DEFINE_STRING_TABLE(name, type, ...) DEFINE_STRING_TABLE_SCOPE(, name, type, __VA_ARGS__)

DEFINE_STRING_TABLE(fw_action, enum fw_action, [FW_ACCEPT] = "accept", [FW_DROP] = "drop",
		    [FW_REJECT] = "reject")
DEFINE_STRING_TABLE(fw_policy, enum fw_policy, [FW_POLICY_ACCEPT] = "accept",
		    [FW_POLICY_DROP] = "drop")
DEFINE_STRING_TABLE(fw_set_type, enum fw_set_type, [FW_SET_IPV4] = "ipv4",
		    [FW_SET_IPV6] = "ipv6", [FW_SET_PORT] = "port")
DEFINE_STRING_TABLE(fw_chain_kind, enum fw_chain_kind, [FW_INPUT] = "input",
		    [FW_FORWARD] = "forward", [FW_OUTPUT] = "output")
DEFINE_STRING_TABLE(nat_proto, enum nat_proto, [NAT_TCP] = "tcp", [NAT_UDP] = "udp",
		    [NAT_TCP_UDP] = "tcp_udp")
DEFINE_STRING_TABLE(dhcp6_mode, enum dhcp6_mode, [DHCP6_SLAAC] = "slaac",
		    [DHCP6_STATELESS] = "stateless", [DHCP6_STATEFUL] = "stateful")

DEFINE_STRING_TABLE(ip_proto, unsigned, [1] = "icmp", [6] = "tcp", [17] = "udp", [47] = "gre",
		    [50] = "esp", [51] = "ah", [58] = "icmpv6", [132] = "sctp")

DEFINE_STRING_TABLE_SCOPE(static, icmp4_type, unsigned, [0] = "echo-reply", [3] = "destination-unreachable",
		    [4] = "source-quench", [5] = "redirect", [8] = "echo-request",
		    [9] = "router-advertisement", [10] = "router-solicitation",
		    [11] = "time-exceeded", [12] = "parameter-problem",
		    [13] = "timestamp-request", [14] = "timestamp-reply",
		    [15] = "info-request", [16] = "info-reply", [17] = "address-mask-request",
		    [18] = "address-mask-reply")

DEFINE_STRING_TABLE_SCOPE(static, icmp6_type, unsigned, [1] = "destination-unreachable",
		    [2] = "packet-too-big", [3] = "time-exceeded", [4] = "parameter-problem",
		    [128] = "echo-request", [129] = "echo-reply",
		    [130] = "mld-listener-query", [131] = "mld-listener-report",
		    [132] = "mld-listener-done", [133] = "nd-router-solicit",
		    [134] = "nd-router-advert", [135] = "nd-neighbor-solicit",
		    [136] = "nd-neighbor-advert", [137] = "nd-redirect",
		    [138] = "router-renumbering", [141] = "ind-neighbor-solicit",
		    [142] = "ind-neighbor-advert", [143] = "mld2-listener-report")

const char *icmp_type_to_string(int family, unsigned type)
{
	return family == AF_INET6 ? icmp6_type_to_string(type) : icmp4_type_to_string(type);
}

int icmp_type_from_string(int family, const char *s)
{
	return family == AF_INET6 ? icmp6_type_from_string(s) : icmp4_type_from_string(s);
}
