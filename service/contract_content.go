package service

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"familycare/model"

	"gorm.io/gorm"
)

// Contract content (README, "Family doctor in practice"): a contract names
// its service packages (basic public health, always, plus optional packages
// of the team's clinic, kept as rows of service_packages), the version of
// the agreement text the family accepted and the responsible doctor (a
// member of the team; the team's lead when none is named). A renewal
// carries them over.

// agreementVersion is a version label such as 2026.1 or v3.
var agreementVersion = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$`)

// agreementVersionRule is the 422 reason of a version agreementVersion
// refuses (publishing and signing).
const agreementVersionRule = "must be 1 to 32 letters, digits, '.', '-' or '_'"

// ensureBasicPackage makes sure the basic public health package exists.
func ensureBasicPackage(tx *gorm.DB) error {
	var n int64
	if err := tx.Model(&model.ServicePackage{}).Where("clinic_id = 0 AND code = ?", model.PackageBasic).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	err := tx.Create(&model.ServicePackage{Code: model.PackageBasic, Name: "基本公共卫生服务包", Active: true,
		Description: "国家基本公共卫生服务：健康档案、健康教育、预防接种、慢病随访、老年人健康管理等"}).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) || (err != nil && strings.Contains(strings.ToLower(err.Error()), "duplicate")) {
		return nil
	}
	return err
}

// signedVersion is the agreement version a signing records: the published
// version named (as it was published), or the current one when none is
// named ("" while none is published). bad is why a version named cannot
// be recorded (the field's 422 reason).
func signedVersion(tx *gorm.DB, version string) (recorded, bad string, err error) {
	version = strings.TrimSpace(version)
	if version == "" {
		cur, _, err := currentAgreement(tx)
		return cur.Version, "", err
	}
	if !agreementVersion.MatchString(version) {
		return "", agreementVersionRule, nil
	}
	var rows []model.AgreementVersion
	if err := tx.Where("version = ?", version).Limit(1).Find(&rows).Error; err != nil {
		return "", "", err
	}
	if len(rows) == 0 {
		return "", "is not a published agreement version", nil
	}
	return rows[0].Version, "", nil
}

// contractContent checks what a contract names and fills the defaults:
// the basic package first, the team's lead as responsible doctor.
func contractContent(tx *gorm.DB, team model.DoctorTeam, packages []string, version string, doctor int64) ([]string, string, int64, error) {
	fields := map[string]string{}
	version, bad, err := signedVersion(tx, version)
	if err != nil {
		return nil, "", 0, err
	}
	if bad != "" {
		fields["agreement_version"] = bad
	}
	if err := ensureBasicPackage(tx); err != nil {
		return nil, "", 0, err
	}
	out := []string{model.PackageBasic}
	for i, code := range packages {
		code = strings.TrimSpace(code)
		if slices.Contains(out, code) {
			continue
		}
		var rows []model.ServicePackage
		if err := tx.Where("code = ? AND clinic_id IN ?", code, []int64{0, team.ClinicID}).Order("clinic_id").
			Limit(1).Find(&rows).Error; err != nil {
			return nil, "", 0, err
		}
		switch {
		case len(rows) == 0:
			fields[fmt.Sprintf("packages[%d]", i)] = "is not a service package of this clinic"
		case !rows[0].Active:
			// Retired: contracts that name it keep it; no new signing.
			fields[fmt.Sprintf("packages[%d]", i)] = "is retired: it can no longer be signed"
		case !slices.Contains(out, rows[0].Code):
			out = append(out, rows[0].Code)
		}
	}
	var members []model.DoctorTeamMember
	if err := tx.Where("team_id = ?", team.ID).Order("id").Find(&members).Error; err != nil {
		return nil, "", 0, err
	}
	if doctor != 0 {
		if !slices.ContainsFunc(members, func(m model.DoctorTeamMember) bool { return m.UserID == doctor }) {
			fields["responsible_doctor_id"] = "must be a member of the team"
		}
	} else if i := slices.IndexFunc(members, func(m model.DoctorTeamMember) bool { return m.Role == model.MemberRoleLead }); i >= 0 {
		doctor = members[i].UserID
	}
	if len(fields) > 0 {
		return nil, "", 0, Invalid(fields)
	}
	return out, version, doctor, nil
}
