package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"time"
	"unicode"
	"unicode/utf8"

	"familycare/model"
	"familycare/pii"

	"gorm.io/gorm"
)

// Idempotency errors.
var (
	ErrIdempotencyKeyReused   = newErr(KindInvalid, "idempotency_key_reused", "this Idempotency-Key was used for a different request")
	ErrIdempotencyInProgress  = newErr(KindConflict, "idempotency_in_progress", "a request with this Idempotency-Key is still being processed; retry shortly")
	ErrIdempotencyKeyTooLong  = InvalidField("Idempotency-Key", "must be 1 to 128 characters")
	ErrIdempotencyKeyBad      = InvalidField("Idempotency-Key", "must be printable UTF-8 text")
	idempotencyStaleAfter     = time.Minute
	idempotencyWaitFor        = 10 * time.Second
	idempotencyPollEvery      = 20 * time.Millisecond
	idempotencyStateRunning   = "processing"
	idempotencyStateCompleted = "done"
)

// IdempotencyService remembers the first response to a create request sent
// with an Idempotency-Key, in the database, so every replica replays it.
type IdempotencyService struct {
	db    *gorm.DB
	pii   *pii.Box
	clock Clock
	ttl   time.Duration
	log   *slog.Logger
}

// NewIdempotencyService builds the service.
func NewIdempotencyService(deps Deps) *IdempotencyService {
	return &IdempotencyService{db: deps.DB, pii: deps.PII, clock: deps.Clock, ttl: deps.Config.IdempotencyTTL, log: deps.Log}
}

// Replay is a stored first response.
type Replay struct {
	Status int
	Body   []byte
}

// Begin claims key for a request whose fingerprint is hash. It returns a
// replay when the request was already answered; nil when the caller owns
// the key and must call Finish (or Abandon). A concurrent duplicate waits
// for the first to finish.
func (s *IdempotencyService) Begin(ctx context.Context, userID int64, key, hash string) (*Replay, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	key = storedKey(key)
	db := s.db.WithContext(ctx)
	deadline := time.Now().Add(idempotencyWaitFor)
	for {
		now := s.clock.Now()
		rec := model.IdempotencyRecord{UserID: userID, Key: key, RequestHash: hash, State: idempotencyStateRunning,
			CreatedAt: now, ExpiresAt: now.Add(s.ttl)}
		err := db.Create(&rec).Error
		if err == nil {
			return nil, nil
		}
		if !isDuplicate(err) {
			return nil, err
		}
		var got model.IdempotencyRecord
		if err := db.Where("user_id = ? AND `key` = ?", userID, key).First(&got).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				continue // deleted meanwhile: try to claim again
			}
			return nil, err
		}
		switch {
		case !got.ExpiresAt.After(now):
			// Expired: forget it and claim the key afresh.
			if err := db.Where("id = ? AND expires_at <= ?", got.ID, now).Delete(&model.IdempotencyRecord{}).Error; err != nil {
				return nil, err
			}
			continue
		case got.RequestHash != hash:
			return nil, ErrIdempotencyKeyReused
		case got.State == idempotencyStateCompleted:
			body, err := s.open(got)
			if err != nil {
				return nil, err
			}
			return &Replay{Status: got.StatusCode, Body: body}, nil
		case now.Sub(got.CreatedAt) > idempotencyStaleAfter:
			// Its owner died mid-request: take it over.
			res := db.Model(&model.IdempotencyRecord{}).Where("id = ? AND state = ? AND created_at = ?", got.ID, idempotencyStateRunning, got.CreatedAt).
				Update("created_at", now)
			if res.Error != nil {
				return nil, res.Error
			}
			if res.RowsAffected == 1 {
				return nil, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, ErrIdempotencyInProgress
		}
		select {
		case <-ctx.Done():
			return nil, ErrIdempotencyInProgress
		case <-time.After(idempotencyPollEvery):
		}
	}
}

// Finish stores the response of a request that owns key.
// The answer is sealed with the personal-data keys: an order's address,
// phone and hand-over code are never readable at rest.
func (s *IdempotencyService) Finish(ctx context.Context, userID int64, key string, status int, body []byte) error {
	sealed, err := s.pii.Seal(string(body))
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Model(&model.IdempotencyRecord{}).
		Where("user_id = ? AND `key` = ? AND state = ?", userID, storedKey(key), idempotencyStateRunning).
		Updates(map[string]any{"state": idempotencyStateCompleted, "status_code": status,
			"response_body": []byte(sealed), "sealed": true}).Error
}

// open returns a stored answer byte for byte as it was first sent.
func (s *IdempotencyService) open(r model.IdempotencyRecord) ([]byte, error) {
	if !r.Sealed {
		return r.ResponseBody, nil // written before answers were sealed; SealLegacy seals it
	}
	clear, err := s.pii.Open(string(r.ResponseBody))
	return []byte(clear), err
}

// SealLegacy seals the answers stored in clear by builds before sealing (a
// background job; there are none after one run).
func (s *IdempotencyService) SealLegacy(ctx context.Context) (int, error) {
	var recs []model.IdempotencyRecord
	if err := s.db.WithContext(ctx).Where("sealed = ? AND state = ?", false, idempotencyStateCompleted).
		Limit(500).Find(&recs).Error; err != nil {
		return 0, err
	}
	n := 0
	for _, r := range recs {
		sealed, err := s.pii.Seal(string(r.ResponseBody))
		if err != nil {
			return n, err
		}
		res := s.db.WithContext(ctx).Model(&model.IdempotencyRecord{}).Where("id = ? AND sealed = ?", r.ID, false).
			Updates(map[string]any{"response_body": []byte(sealed), "sealed": true})
		if res.Error != nil {
			return n, res.Error
		}
		n += int(res.RowsAffected)
	}
	return n, nil
}

// storedKey is what the database keeps of a key: the SHA-256 of its exact
// bytes, so keys compare as opaque bytes whatever the column's collation
// (Case-x and case-x, accent-a and accent-ä are different keys).
func storedKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// checkKey refuses a key that is empty, longer than 128 bytes or not
// printable text.
func checkKey(key string) error {
	if key == "" || len(key) > 128 {
		return ErrIdempotencyKeyTooLong
	}
	if !printableKey(key) {
		return ErrIdempotencyKeyBad
	}
	return nil
}

// printableKey refuses keys that are not UTF-8 or hold control characters.
func printableKey(key string) bool {
	if !utf8.ValidString(key) {
		return false
	}
	for _, r := range key {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// Abandon releases key after a failure that should not be replayed (5xx),
// so the client's retry runs again.
func (s *IdempotencyService) Abandon(ctx context.Context, userID int64, key string) error {
	return s.db.WithContext(ctx).Where("user_id = ? AND `key` = ? AND state = ?", userID, storedKey(key), idempotencyStateRunning).
		Delete(&model.IdempotencyRecord{}).Error
}

// Purge deletes expired records (a background job).
func (s *IdempotencyService) Purge(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Where("expires_at <= ?", s.clock.Now()).Delete(&model.IdempotencyRecord{})
	return res.RowsAffected, res.Error
}
