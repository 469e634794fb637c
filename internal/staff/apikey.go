package staff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"agora/internal/fault"
	"agora/internal/token"
)

// APIKey describes a key without its secret: the plaintext is shown once by
// CreateAPIKey and only its SHA-256 is stored.
type APIKey struct {
	ID         int64
	StaffID    int64
	StaffEmail string // the owner, whose role the key acts with
	Name       string // what the key is for, such as "ERP sync"
	Prefix     string // the first characters of the key, to tell keys apart
	CreatedAt  time.Time
	LastUsedAt time.Time // zero: never used; updated at most once a minute
	RevokedAt  time.Time // zero: live
}

// Key format: "agk_" and 32 random bytes in unpadded base64url (43
// characters). The prefix makes a leaked key easy to recognise for people
// and secret scanners; 256 bits make guessing pointless, so a fast hash
// (SHA-256) is enough to store it, unlike passwords.
const (
	keyScheme    = "agk_"
	keyLen       = len(keyScheme) + token.Len
	prefixLen    = len(keyScheme) + 8
	maxKeyName   = 100
	touchEvery   = time.Minute // last_used_at granularity: one write a minute per busy key, not one per request
	apiKeyColumn = `k.id, k.staff_id, s.email, k.name, k.prefix, k.created_at, k.last_used_at, k.revoked_at`
)

// CreateAPIKey makes a key for an active staff account and returns its
// plaintext, which is never stored nor shown again. A bad name gives a
// field error on "name"; an unknown or disabled account fault.NotFound.
func (s *Service) CreateAPIKey(ctx context.Context, staffID int64, name string) (string, APIKey, error) {
	name = strings.TrimSpace(name)
	if e := checkText("name", "Name", name, maxKeyName); e != nil {
		return "", APIKey{}, e
	}
	secret, _ := token.New()
	plaintext := keyScheme + secret // the scheme makes a leaked key recognizable to secret scanners
	k := APIKey{StaffID: staffID, Name: name, Prefix: plaintext[:prefixLen], CreatedAt: s.now()}
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT email FROM staff WHERE id = $1 AND disabled_at IS NULL`, staffID).Scan(&k.StaffEmail)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoStaff
		}
		if err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO api_keys (staff_id, name, prefix, key_hash, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, staffID, k.Name, k.Prefix, token.Hash(plaintext), k.CreatedAt).Scan(&k.ID)
	})
	if fault.CodeOf(err) == fault.NotFound {
		return "", APIKey{}, err
	}
	if err != nil {
		return "", APIKey{}, fmt.Errorf("staff: create API key: %w", err)
	}
	return plaintext, k, nil
}

var errNoKey = fault.New(fault.NotFound, "No such API key.")

// RevokeAPIKey makes a key stop working from the next request on (keys are
// never cached). Revoking a revoked key changes nothing; an unknown id gives
// fault.NotFound.
func (s *Service) RevokeAPIKey(ctx context.Context, id int64) error {
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, s.now(), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM api_keys WHERE id = $1`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoKey
		}
		return err
	})
	if fault.CodeOf(err) == fault.NotFound {
		return err
	}
	if err != nil {
		return fmt.Errorf("staff: revoke API key: %w", err)
	}
	return nil
}

// APIKeys lists every key, revoked ones included, oldest first.
func (s *Service) APIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+apiKeyColumn+` FROM api_keys k JOIN staff s ON s.id = k.staff_id ORDER BY k.id`)
	if err != nil {
		return nil, fmt.Errorf("staff: list API keys: %w", err)
	}
	defer rows.Close()
	var keys []APIKey
	for rows.Next() {
		var k APIKey
		var used, revoked sql.NullTime
		if err := rows.Scan(&k.ID, &k.StaffID, &k.StaffEmail, &k.Name, &k.Prefix, &k.CreatedAt, &used, &revoked); err != nil {
			return nil, fmt.Errorf("staff: list API keys: %w", err)
		}
		k.CreatedAt = k.CreatedAt.UTC()
		if used.Valid {
			k.LastUsedAt = used.Time.UTC()
		}
		if revoked.Valid {
			k.RevokedAt = revoked.Time.UTC()
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("staff: list API keys: %w", err)
	}
	return keys, nil
}

var errBadKey = fault.New(fault.Unauthorized, "This API key is not valid. It may have been revoked; ask an owner for a new one.")

// ByAPIKey returns the staff account a key acts for. Unknown, malformed and
// revoked keys, and keys of disabled accounts, give fault.Unauthorized. It
// reads the database on every call (one indexed lookup) so a revocation
// takes effect on the very next request, on every app instance.
func (s *Service) ByAPIKey(ctx context.Context, plaintext string) (Staff, error) {
	if len(plaintext) != keyLen || !strings.HasPrefix(plaintext, keyScheme) {
		return Staff{}, errBadKey // never reaches the database
	}
	var keyID int64
	var used sql.NullTime
	st, err := scanStaff(s.DB.QueryRow(ctx, `SELECT `+staffColumns+`, k.id, k.last_used_at
		FROM api_keys k JOIN staff s ON s.id = k.staff_id
		WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND s.disabled_at IS NULL`, token.Hash(plaintext)), &keyID, &used)
	if fault.CodeOf(err) == fault.NotFound {
		return Staff{}, errBadKey
	}
	if err != nil {
		return Staff{}, err
	}
	now := s.now()
	if !used.Valid || now.Sub(used.Time) >= touchEvery {
		err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, now, keyID)
			return err
		})
		if err != nil {
			return Staff{}, fmt.Errorf("staff: note API key use: %w", err)
		}
	}
	return st, nil
}
