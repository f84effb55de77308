package dev.rlhf.feedback.annotator;

import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/**
 * A person who ranks responses, or administers projects.
 *
 * @param disabledAt         when an admin disabled the account (null: it may log in)
 * @param credentialsVersion raised by every password change and disable/enable; a session logged in
 *                           under an older value ends
 */
public record Annotator(UUID id, String username, String passwordHash, Set<Role> roles, Instant createdAt,
                        Instant disabledAt, int credentialsVersion) {

    public enum Role { ADMIN, ANNOTATOR }

    /** A new, enabled account. */
    public Annotator(UUID id, String username, String passwordHash, Set<Role> roles, Instant createdAt) {
        this(id, username, passwordHash, roles, createdAt, null, 0);
    }

    public boolean enabled() {
        return disabledAt == null;
    }

    /** Admins see and manage every project; everyone else sees only the projects they are a member of. */
    public boolean isAdmin() {
        return roles.contains(Role.ADMIN);
    }
}
