/* Real OpenPGP keys for unit tests: a throwaway GNUPGHOME, keys made
 * with gpg --quick-gen-key (no passphrase), its gpg-agent killed after. */
#ifndef ARCA_UT_GPG_H
#define ARCA_UT_GPG_H

#include "sign/sign.h"

/* Runs argv (no shell), stdin and stderr on /dev/null, stdout into *out
 * (malloc'd) when out is not NULL; the exit status. */
int ut_run(const char *const argv[], char **out);
/* A new private temp dir for GNUPGHOME, set in the environment. */
char *ut_gpg_home(void);
/* Generates a signing key uid in the current GNUPGHOME expiring at
 * expire ("1d", "never"); its fingerprint into fpr. */
void ut_gpg_gen_key(const char *uid, const char *expire,
	char fpr[ARCA_FPR_SIZE]);
/* Revokes fpr (made in the current GNUPGHOME) by importing the
 * revocation certificate gpg made with it. */
void ut_gpg_revoke(const char *fpr);
/* Kills the agent of home and removes it (frees home). */
void ut_gpg_home_free(char *home);

#endif
