package seed

import "familycare/model"

func (s *seeder) articles() error {
	published := s.now
	for _, a := range demoArticles {
		a := a
		a.Status = model.ArticlePublished
		a.PublishedAt = &published
		if err := s.tx.Create(&a).Error; err != nil {
			return err
		}
	}
	return nil
}

// demoArticles are written for this project.
var demoArticles = []model.Article{
	{Title: "孕早期饮食：少量多餐，叶酸别停", Summary: "孕吐明显时如何保证营养。", Category: "nutrition", Stages: []string{"pregnancy"},
		Body: "孕早期胎儿器官开始形成，每天继续补充叶酸 0.4 毫克。孕吐明显时可以少量多餐，选择清淡易消化的食物，如小米粥、苏打饼干。"},
	{Title: "宝宝 6 个月后如何添加辅食", Summary: "从强化铁米粉开始，一次只加一种新食物。", Category: "nutrition", Stages: []string{"infant_6_12m"},
		Body: "宝宝满 6 个月后开始添加辅食。首选强化铁的婴儿米粉，由稀到稠、由少到多，每引入一种新食物观察 3 天，留意过敏反应。"},
	{Title: "小儿推拿：家长在家能做的健脾手法", Summary: "补脾经、摩腹、捏脊的要点。", Category: "tcm", Stages: []string{"toddler_1_3y", "child_3_6y"},
		Body: "中医认为小儿脾常不足。家长可在饭后一小时为孩子摩腹，顺时针 100 次；捏脊自下而上 3 到 5 遍，手法宜轻柔。皮肤破损或发热时不宜推拿。"},
	{Title: "老年人慢病用药：按时按量，定期复查", Summary: "高血压、糖尿病老人的家庭用药提醒。", Category: "elderly", Stages: []string{"elderly"},
		Body: "高血压、糖尿病需要长期规律用药，不要自行停药或加量。家属可帮助老人使用分药盒，每月到家庭医生处复查血压、血糖，签约居民可申请送药上门。"},
}
