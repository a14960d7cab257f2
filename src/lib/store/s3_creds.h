/*
 * S3 credentials and region, resolved the AWS way, read once when a store
 * opens. The secret and the token live only here and in the signer's
 * input: never in a URL, an error message or the repository.
 */
#ifndef ARCA_STORE_S3_CREDS_H
#define ARCA_STORE_S3_CREDS_H

#include "arca/error.h"

typedef struct arca_s3_creds {
	char *access_key;
	char *secret_key;
	char *token; /* NULL without a session token */
} arca_s3_creds;

/*
 * Credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+
 * AWS_SESSION_TOKEN); else the profile AWS_PROFILE (default "default")
 * from the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else
 * ~/.aws/credentials, section [NAME]) or the config file (AWS_CONFIG_FILE,
 * else ~/.aws/config, section [profile NAME] or [default]).
 * Region (*region, malloc'd): AWS_REGION, AWS_DEFAULT_REGION, the
 * profile's "region" in the config file, else "us-east-1".
 * ARCA_EINVALID when no credentials are found; nothing is set then.
 */
int arca_s3__creds_load(arca_s3_creds *out, char **region, arca_error *err);

/* Wipes and frees the strings; c is all NULL afterwards. */
void arca_s3__creds_dispose(arca_s3_creds *c);

#endif
