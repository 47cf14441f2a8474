/* SPDX-License-Identifier: MIT */
/*
 * The compiler: the typed intent's firewall and nat sections as the description of the whole
 * table `inet vrouter` (nft-desc.h). Pure: it builds messages, it sends nothing.
 *
 *   chain input/forward/output  filter, priority 0, the intent's policy:
 *       ct state established,related accept; ct state invalid drop; loopback accept;
 *       ICMPv6 neighbour discovery accept; ICMP fragmentation-needed / ICMPv6 packet-too-big
 *       accept; (input) tcp dport 22 on a management interface (from management_sources,
 *       when the firewall has them) accept; (input, output)
 *       the router's own services: IKE, ESP, WireGuard, VRRP, conntrackd's sync
 *       (nft-compile-admit.c, sets _ike4/_ike6, _wg); (forward) what port forwards and
 *       one-to-one NAT open (sets _open4/_open6: forwards of one port, hashed;
 *       _openr4/_openr6: port ranges and one-to-one, intervals); then the intent's rules.
 *   chain dstnat  nat, prerouting -100: port forwards (maps _pf4/_pf6 per port, _pfr4/_pfr6
 *       for ranges forwarded to the same ports), one-to-one (maps _o2od4/_o2od6)
 *   chain srcnat  nat, postrouting 100: IPsec subnets exempt (_nonat4/_nonat6),
 *       hairpin masquerade (_lan4/_lan6), one-to-one (_o2os4/_o2os6), the intent's source rules
 *
 * The always-on rules that count are labelled "builtin:CHAIN/WHAT" (nft_compile_builtin_rule:
 * established, invalid, ssh, ike, esp, wireguard, vrrp, conntrack-sync, dhcp, dhcpv6, dns,
 * nat-open, hairpin), and a drop policy has its chain's counter: status shows both by name
 * (nft-counters.h).
 *
 * Nothing but what the intent asks for is in the table: the agent's records of its plan
 * objects are kept out of the kernel (nft-records.h).
 *
 * The firewall section's part (its sets, the chains' rules after the always-on ones) is built once per section and kept by the caller (struct nft_compile_kept).
 *
 * The intent's sets are named sets of the same name (elements are plan objects); the table's
 * own sets start with '_', which intent names cannot.
 */
#pragma once

#include "intent/intent.h"
#include "nft-desc.h"
#include "plan/objset.h"

/* The firewall section's part of the table numbers its sets from here (nft_desc_new_part). */
#define NFT_COMPILE_PART_IDS (1u << 24)

/*
 * What the compiler keeps from one compile to the next for its caller (the backend): the part
 * of the table compiled from a firewall section and that section's plan objects, with a
 * reference to the section. A section is known by its address, which the reference keeps from
 * being another's, and never changes once read: the next intent that shares it, with the same
 * IPsec tunnels' names and subnets (ipsec: what rules naming a tunnel read of it), includes
 * the same part (the same sets and rules, which the backend then neither compares nor copies
 * again) without compiling it. Zero-initialised; nft_compile_kept_done() releases it.
 */
struct nft_compile_kept {
	struct firewall *firewall;
	char *ipsec;
	struct nft_desc *part;
	struct objset objs;
};

void nft_compile_kept_done(struct nft_compile_kept *k);

/* The description of the table for the intent, and (ret_objs, unless NULL) the plan objects
 * it holds: the desired firewall and NAT objects. kept: NULL, or the caller's (above). 0 or
 * -ENOMEM. */
int nft_compile_compile(const struct intent *in, struct nft_compile_kept *kept,
			struct nft_desc **ret, struct objset *ret_objs);
