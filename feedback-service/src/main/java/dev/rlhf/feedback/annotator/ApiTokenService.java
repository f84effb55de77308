package dev.rlhf.feedback.annotator;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/**
 * API tokens for scripts and services: a random 32-byte secret shown once at creation; only its
 * SHA-256 is stored, so a leaked database does not leak usable tokens.
 */
@Service
public class ApiTokenService {

    private static final String PREFIX = "rlhf_";
    private final JdbcClient jdbc;
    private final AnnotatorRepository annotators;
    private final SecureRandom random = new SecureRandom();

    public ApiTokenService(JdbcClient jdbc, AnnotatorRepository annotators) {
        this.jdbc = jdbc;
        this.annotators = annotators;
    }

    /** Creates a token for the account and returns its secret (the only time it is visible). */
    public String create(UUID annotatorId, String name) {
        byte[] secret = new byte[32];
        random.nextBytes(secret);
        String token = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
        jdbc.sql("INSERT INTO api_tokens (id, annotator_id, name, token_hash) VALUES (?, ?, ?, ?)")
                .params(UUID.randomUUID(), annotatorId, name, hash(token)).update();
        return token;
    }

    /** The username owning a valid, unrevoked token. */
    public Optional<String> ownerOf(String token) {
        return jdbc.sql("""
                        SELECT a.username FROM api_tokens t JOIN annotators a ON a.id = t.annotator_id
                        WHERE t.token_hash = ? AND t.revoked_at IS NULL""")
                .param(hash(token)).query(String.class).optional();
    }

    /** The account owning a valid, unrevoked token, in one query. */
    public Optional<Annotator> accountOf(String token) {
        return annotators.findByApiTokenHash(hash(token));
    }

    public void revoke(UUID tokenId) {
        jdbc.sql("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE id = ? AND revoked_at IS NULL").param(tokenId).update();
    }

    /** A token as its owner sees it later: never the secret. */
    public record ApiToken(UUID id, String name, Instant createdAt, Instant revokedAt) {

        public boolean active() {
            return revokedAt == null;
        }
    }

    /** The account's tokens, newest first, revoked ones included. */
    public List<ApiToken> list(UUID annotatorId) {
        return jdbc.sql("SELECT id, name, created_at, revoked_at FROM api_tokens WHERE annotator_id = ? ORDER BY created_at DESC, name")
                .param(annotatorId)
                .query((rs, row) -> new ApiToken(rs.getObject("id", UUID.class), rs.getString("name"),
                        rs.getObject("created_at", OffsetDateTime.class).toInstant(),
                        rs.getObject("revoked_at", OffsetDateTime.class) == null ? null
                                : rs.getObject("revoked_at", OffsetDateTime.class).toInstant()))
                .list();
    }

    /** Revokes one of the account's own tokens; answers false when it has no such active token. */
    public boolean revoke(UUID annotatorId, UUID tokenId) {
        return jdbc.sql("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE id = ? AND annotator_id = ? AND revoked_at IS NULL")
                .params(tokenId, annotatorId).update() == 1;
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
