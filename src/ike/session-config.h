/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A struct ike_session_config that owns what it points to: the owner of a
 * tunnel keeps one to start a new session later (reauthentication) after the
 * settings it came from are gone.  Secrets (PSK, passwords) are copied into
 * memory that ike_session_config_clear() wipes.
 */
#pragma once

#include "ike/ike-session.h"

/* Deep-copy @src into @dst (overwritten). */
void ike_session_config_copy(struct ike_session_config *dst, const struct ike_session_config *src);

/* Free and wipe what ike_session_config_copy() allocated; @cfg is zeroed. NULL is fine. */
void ike_session_config_clear(struct ike_session_config *cfg);
