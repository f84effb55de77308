package dev.rlhf.feedback.annotator;

import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/** A person who ranks responses, or administers projects. */
public record Annotator(UUID id, String username, String passwordHash, Set<Role> roles, Instant createdAt) {

    public enum Role { ADMIN, ANNOTATOR }

    /** Admins see and manage every project; everyone else sees only the projects they are a member of. */
    public boolean isAdmin() {
        return roles.contains(Role.ADMIN);
    }
}
