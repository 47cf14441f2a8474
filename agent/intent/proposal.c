/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "lib/cleanup.h"
#include "proposal.h"
#include "lib/utf8.h"

enum alg_type { ALG_NONE, ALG_ENCR, ALG_AEAD, ALG_INTEG, ALG_PRF, ALG_KE, ALG_ESN };

/* Plain keywords. "null" encryption is deliberately absent (no confidentiality), as are
 * single DES, AES-GMAC (null encryption) and strongSwan's experimental key exchanges. */
static const struct {
	const char *name;
	enum alg_type type;
} keywords[] = {
	{"aes", ALG_ENCR},
	{"camellia", ALG_ENCR},
	{"3des", ALG_ENCR},
	{"cast128", ALG_ENCR},
	{"blowfish", ALG_ENCR},
	{"blowfish128", ALG_ENCR},
	{"blowfish192", ALG_ENCR},
	{"blowfish256", ALG_ENCR},
	{"serpent", ALG_ENCR},
	{"serpent128", ALG_ENCR},
	{"serpent192", ALG_ENCR},
	{"serpent256", ALG_ENCR},
	{"twofish", ALG_ENCR},
	{"twofish128", ALG_ENCR},
	{"twofish192", ALG_ENCR},
	{"twofish256", ALG_ENCR},
	{"chacha20poly1305", ALG_AEAD},
	{"sha", ALG_INTEG},
	{"sha1", ALG_INTEG},
	{"sha1_160", ALG_INTEG},
	{"sha256", ALG_INTEG},
	{"sha2_256", ALG_INTEG},
	{"sha256_96", ALG_INTEG},
	{"sha2_256_96", ALG_INTEG},
	{"sha384", ALG_INTEG},
	{"sha2_384", ALG_INTEG},
	{"sha512", ALG_INTEG},
	{"sha2_512", ALG_INTEG},
	{"md5", ALG_INTEG},
	{"md5_128", ALG_INTEG},
	{"aesxcbc", ALG_INTEG},
	{"camelliaxcbc", ALG_INTEG},
	{"aescmac", ALG_INTEG},
	{"prfsha1", ALG_PRF},
	{"prfsha256", ALG_PRF},
	{"prfsha384", ALG_PRF},
	{"prfsha512", ALG_PRF},
	{"prfmd5", ALG_PRF},
	{"prfaesxcbc", ALG_PRF},
	{"prfcamelliaxcbc", ALG_PRF},
	{"prfaescmac", ALG_PRF},
	{"modp768", ALG_KE},
	{"modp1024", ALG_KE},
	{"modp1536", ALG_KE},
	{"modp2048", ALG_KE},
	{"modp3072", ALG_KE},
	{"modp4096", ALG_KE},
	{"modp6144", ALG_KE},
	{"modp8192", ALG_KE},
	{"modp1024s160", ALG_KE},
	{"modp2048s224", ALG_KE},
	{"modp2048s256", ALG_KE},
	{"ecp192", ALG_KE},
	{"ecp224", ALG_KE},
	{"ecp256", ALG_KE},
	{"ecp384", ALG_KE},
	{"ecp521", ALG_KE},
	{"ecp224bp", ALG_KE},
	{"ecp256bp", ALG_KE},
	{"ecp384bp", ALG_KE},
	{"ecp512bp", ALG_KE},
	{"curve25519", ALG_KE},
	{"x25519", ALG_KE},
	{"curve448", ALG_KE},
	{"x448", ALG_KE},
	{"mlkem512", ALG_KE},
	{"mlkem768", ALG_KE},
	{"mlkem1024", ALG_KE},
	{"esn", ALG_ESN},
	{"noesn", ALG_ESN},
};

static bool str_in(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* The AES and Camellia modes: aes{128,192,256}{,ctr,gcm<icv>,ccm<icv>} and
 * camellia{128,192,256}{,ctr,ccm<icv>}, where <icv> is 8/12/16 bytes or 64/96/128 bits (AES
 * also takes none, meaning 16). */
static enum alg_type block_cipher_type(const char *t)
{
	static const char *const sizes[] = {"128", "192", "256", NULL};
	static const char *const icvs[] = {"8", "12", "16", "64", "96", "128", NULL};
	char size[4];
	bool aes;

	if (!strncmp(t, "aes", 3)) {
		aes = true;
		t += 3;
	} else if (!strncmp(t, "camellia", 8)) {
		aes = false;
		t += 8;
	} else {
		return ALG_NONE;
	}
	if (strlen(t) < 3)
		return ALG_NONE;
	memcpy(size, t, 3);
	size[3] = '\0';
	if (!str_in(size, sizes))
		return ALG_NONE;
	t += 3;
	if (!strcmp(t, "") || !strcmp(t, "ctr"))
		return ALG_ENCR;
	if ((aes && !strncmp(t, "gcm", 3)) || !strncmp(t, "ccm", 3)) {
		t += 3;
		if ((aes && !*t) || str_in(t, icvs))
			return ALG_AEAD;
	}
	return ALG_NONE;
}

static enum alg_type keyword_type(const char *t)
{
	size_t i;

	for (i = 0; i < ELEMENTSOF(keywords); i++)
		if (!strcmp(t, keywords[i].name))
			return keywords[i].type;
	return block_cipher_type(t);
}

/* Keeps the first keyword of each kind, for the messages. */
static void proposal_note(const char **slot, const char *t)
{
	if (!*slot)
		*slot = t;
}

/* A token "ke1_mlkem768" .. "ke7_x25519": an additional key exchange (RFC 9370). */
static bool is_extra_ke(const char *t)
{
	return !strncmp(t, "ke", 2) && t[2] >= '1' && t[2] <= '7' && t[3] == '_' &&
	       keyword_type(t + 4) == ALG_KE;
}

int proposal_check(const char *s, enum proposal_kind kind, struct strbuf *err)
{
	_cleanup_free_ char *copy = strdup(s);
	const char *encr = NULL, *aead = NULL, *integ = NULL, *prf = NULL, *ke = NULL;
	const char *extra_ke = NULL, *esn = NULL;
	char *t, *next;

	if (!copy) {
		strbuf_append(err, "out of memory");
		return -ENOMEM;
	}
	if (!*s) {
		strbuf_append(err, "empty proposal");
		return -EINVAL;
	}
	for (t = copy; t; t = next) {
		next = strchr(t, '-');
		if (next)
			*next++ = '\0';
		if (!*t) {
			strbuf_printf(err, "empty algorithm name in proposal \"%.*s\"",
				      UTF8_CUT(s, 128));
			return -EINVAL;
		}
		switch (keyword_type(t)) {
		case ALG_ENCR:
			proposal_note(&encr, t);
			break;
		case ALG_AEAD:
			proposal_note(&aead, t);
			break;
		case ALG_INTEG:
			proposal_note(&integ, t);
			break;
		case ALG_PRF:
			proposal_note(&prf, t);
			break;
		case ALG_KE:
			proposal_note(&ke, t);
			break;
		case ALG_ESN:
			proposal_note(&esn, t);
			break;
		case ALG_NONE:
			if (is_extra_ke(t)) {
				proposal_note(&extra_ke, t);
				break;
			}
			strbuf_printf(err, "unknown algorithm \"%.*s\" in proposal \"%.*s\"",
				      UTF8_CUT(t, 64), UTF8_CUT(s, 128));
			return -EINVAL;
		}
	}

	if (kind == PROPOSAL_ESP && prf) {
		strbuf_printf(err,
			      "prf \"%s\" in proposal \"%.*s\": a prf belongs in ike_proposals",
			      prf, UTF8_CUT(s, 128));
		return -EINVAL;
	}
	if (kind == PROPOSAL_IKE && esn) {
		strbuf_printf(err, "\"%s\" in proposal \"%.*s\": esn/noesn belong in esp_proposals",
			      esn, UTF8_CUT(s, 128));
		return -EINVAL;
	}
	if (!encr && !aead) {
		strbuf_printf(err, "proposal \"%.*s\" has no encryption algorithm",
			      UTF8_CUT(s, 128));
		return -EINVAL;
	}
	if (encr && aead) {
		strbuf_printf(err, "proposal \"%.*s\" mixes AEAD (%s) and non-AEAD (%s) encryption",
			      UTF8_CUT(s, 128), aead, encr);
		return -EINVAL;
	}
	if (encr && !integ) {
		strbuf_printf(err,
			      "proposal \"%.*s\" has no integrity algorithm (non-AEAD "
			      "encryption %s needs one, e.g. sha256)",
			      UTF8_CUT(s, 128), encr);
		return -EINVAL;
	}
	if (kind == PROPOSAL_ESP && aead && integ) {
		strbuf_printf(err,
			      "proposal \"%.*s\" combines AEAD encryption %s with integrity "
			      "algorithm %s",
			      UTF8_CUT(s, 128), aead, integ);
		return -EINVAL;
	}
	/* strongSwan derives the IKE prf from the integrity algorithm when none is given. */
	if (kind == PROPOSAL_IKE && !prf && !integ) {
		strbuf_printf(err, "proposal \"%.*s\" has no prf (e.g. prfsha256)",
			      UTF8_CUT(s, 128));
		return -EINVAL;
	}
	if (kind == PROPOSAL_IKE && !ke) {
		strbuf_printf(err, "proposal \"%.*s\" has no DH group (e.g. ecp256 or curve25519)",
			      UTF8_CUT(s, 128));
		return -EINVAL;
	}
	if (extra_ke && !ke) {
		strbuf_printf(err,
			      "proposal \"%.*s\" has additional key exchange %s but no DH "
			      "group",
			      UTF8_CUT(s, 128), extra_ke);
		return -EINVAL;
	}
	return 0;
}
