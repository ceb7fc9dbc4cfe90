package service

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"familycare/model"
	"familycare/pagination"

	"gorm.io/gorm"
)

// Agreement versions: an admin publishes the text of the family-doctor
// agreement (签约协议) under a version label; a published version never
// changes. The current version is the latest published: the mini-program
// shows it before signing, and a signing names the version the family
// accepted (the current one when it names none).

// ErrAgreementVersionExists: versions are published once.
var ErrAgreementVersionExists = newErr(KindConflict, "agreement_version_exists", "this agreement version is already published; publish the changed text under a new version")

// Limits of an agreement text.
const (
	agreementTitleMax = 128
	agreementBodyMax  = 20000
)

// AgreementInput is a version an admin publishes.
type AgreementInput struct {
	Version, Title, Body string
}

func (in *AgreementInput) normalize() error {
	f := map[string]string{}
	in.Version, in.Title, in.Body = strings.TrimSpace(in.Version), strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	if !agreementVersion.MatchString(in.Version) {
		f["version"] = agreementVersionRule
	}
	if n := utf8.RuneCountInString(in.Title); n < 1 || n > agreementTitleMax {
		f["title"] = "must be 1 to 128 characters"
	}
	if n := utf8.RuneCountInString(in.Body); n < 1 || n > agreementBodyMax {
		f["body"] = "must be 1 to 20000 characters"
	} else if strings.ContainsFunc(in.Body, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }) {
		f["body"] = "must be text without control characters"
	}
	if len(f) > 0 {
		return Invalid(f)
	}
	return nil
}

// PublishAgreement publishes a new version (admins): it becomes the
// current one. A version already published is 409 agreement_version_exists.
func (s *ContractService) PublishAgreement(ctx context.Context, p Principal, in AgreementInput) (model.AgreementVersion, error) {
	if !p.IsAdmin() {
		return model.AgreementVersion{}, ErrForbidden.Msg("only an admin publishes agreement versions")
	}
	if err := in.normalize(); err != nil {
		return model.AgreementVersion{}, err
	}
	now := s.clock.Now()
	row := model.AgreementVersion{Version: in.Version, Title: in.Title, Body: in.Body, PublishedAt: now, CreatedBy: p.UserID, CreatedAt: now}
	err := transact(ctx, s.db, func(tx *gorm.DB) error {
		row.ID = 0
		if err := tx.Create(&row).Error; err != nil {
			if isDuplicate(err) {
				return ErrAgreementVersionExists.With(map[string]any{"version": in.Version})
			}
			return err
		}
		return writeAudit(tx, now, p, auditEntry{Action: AuditAgreementPublish, TargetType: "agreement", TargetID: row.ID,
			Detail: map[string]any{"version": row.Version, "title": row.Title}})
	})
	return row, err
}

// Agreements lists the published versions, newest first.
func (s *ContractService) Agreements(ctx context.Context, pg pagination.Page) ([]model.AgreementVersion, string, error) {
	return findPageByID(s.db.WithContext(ctx).Model(&model.AgreementVersion{}), pg, true, func(v model.AgreementVersion) int64 { return v.ID })
}

// CurrentAgreement is the latest published version; none yet is 404.
func (s *ContractService) CurrentAgreement(ctx context.Context) (model.AgreementVersion, error) {
	v, ok, err := currentAgreement(s.db.WithContext(ctx))
	if err == nil && !ok {
		err = ErrNotFound.Msg("no agreement version is published yet")
	}
	return v, err
}

func currentAgreement(db *gorm.DB) (model.AgreementVersion, bool, error) {
	var rows []model.AgreementVersion
	err := db.Order("published_at DESC, id DESC").Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return model.AgreementVersion{}, false, err
	}
	return rows[0], true, nil
}
