package seed

import "familycare/model"

// teams seeds the family-doctor teams: team 1 at 石桥镇卫生院 (clinic 3) and
// team 2 at 河口镇卫生院 (clinic 4).
func (s *seeder) teams() error {
	for _, t := range []struct {
		clinic, name, desc string
		doctors            []model.TeamDoctor
	}{
		{"shiqiao", "石桥镇家庭医生一团队", "负责石桥镇及柳树村签约居民", []model.TeamDoctor{
			{Name: "赵立新", Title: "全科主治医师", Role: model.TeamRoleLead},
			{Name: "孙梅", Title: "主管护师", Role: model.TeamRoleNurse},
			{Name: "周强", Title: "公卫医师", Role: model.TeamRolePublicHealth},
			{Name: "吴静", Title: "药师", Role: model.TeamRolePharmacist},
		}},
		{"hekou", "河口镇家庭医生团队", "负责河口镇沿河各村签约居民，慢病随访与送药上门", []model.TeamDoctor{
			{Name: "钱文军", Title: "全科副主任医师", Role: model.TeamRoleLead},
			{Name: "郑小燕", Title: "护师", Role: model.TeamRoleNurse},
			{Name: "冯涛", Title: "公卫医师", Role: model.TeamRolePublicHealth},
			{Name: "陈丽", Title: "主管药师", Role: model.TeamRolePharmacist},
		}},
	} {
		team := &model.DoctorTeam{ClinicID: s.clinicsBy[t.clinic].ID, Name: t.name, Description: t.desc}
		if err := s.tx.Create(team).Error; err != nil {
			return err
		}
		for _, d := range t.doctors {
			d.TeamID = team.ID
			if err := s.tx.Create(&d).Error; err != nil {
				return err
			}
		}
	}
	return nil
}
