package seed

import (
	"time"

	"familycare/model"
	"familycare/service"
)

// articles seeds the guidance library: published articles, newest first in
// the order below (one a day apart), plus one draft, all by the main
// hospital. Their search index is built in the same transaction.
func (s *seeder) articles() error {
	clinic := s.clinicsBy["main"].ID
	for i, a := range demoArticles {
		a.ClinicID = clinic
		a.Status = model.ArticlePublished
		published := s.now.Add(-time.Duration(i) * 24 * time.Hour)
		a.PublishedAt = &published
		a.CreatedAt, a.UpdatedAt = published, published
		if err := s.tx.Create(&a).Error; err != nil {
			return err
		}
	}
	draft := demoDraft
	draft.ClinicID = clinic
	draft.Status = model.ArticleDraft
	draft.CreatedAt, draft.UpdatedAt = s.now, s.now
	if err := s.tx.Create(&draft).Error; err != nil {
		return err
	}
	_, err := service.IndexPending(s.tx, 1000)
	return err
}

// demoDraft is an article not yet published (staff can try publishing it).
var demoDraft = model.Article{Title: "孕期运动：哪些运动适合准妈妈", Summary: "散步、孕妇瑜伽和游泳，量力而行。",
	Category: model.CategoryParenting, Stages: []string{model.StagePregnancy},
	Body: "<p>没有产科禁忌的准妈妈，每周可进行 150 分钟左右的中等强度运动，如快走、孕妇瑜伽、游泳。</p>" +
		"<p>运动时以能正常说话为宜；出现阴道流血、腹痛、头晕时立即停止并就医。</p>"}

// demoArticles are written for this project; they cover every category and
// every stage.
var demoArticles = []model.Article{
	{Title: "宝宝 6 个月后如何添加辅食", Summary: "从强化铁米粉开始，一次只加一种新食物。",
		Category: model.CategoryNutrition, Stages: []string{model.StageInfant6to12m},
		Body: "<p>宝宝满6个月后开始添加辅食。此时母乳仍是主要的营养来源，辅食用来补充铁、锌等母乳中不足的营养。</p>" +
			"<h3>第一口吃什么</h3><p>首选<strong>强化铁的婴儿米粉</strong>，用温水或母乳调成糊状，由稀到稠、由少到多。</p>" +
			"<h3>一次只加一种</h3><ul><li>每引入一种新食物，连续观察 3 天；</li><li>留意皮疹、呕吐、腹泻等过敏表现；</li>" +
			"<li>1 岁以内不加盐、糖和蜂蜜。</li></ul>"},
	{Title: "高血压老人的家常饮食：控盐有窍门", Summary: "每天盐不超过 5 克，警惕看不见的盐。",
		Category: model.CategoryNutrition, Stages: []string{model.StageElderly},
		Body: "<p>控制食盐是高血压老人最简单也最有效的饮食措施，建议每天不超过 5 克，大约一啤酒瓶盖。</p>" +
			"<ul><li>用限盐勺，出锅前再放盐；</li><li>少吃咸菜、腊肉、酱料等“看不见的盐”；</li>" +
			"<li>多吃新鲜蔬菜水果和低脂奶，补充钾和钙。</li></ul><p>饮食调整不能代替降压药，请按医嘱服药。</p>"},
	{Title: "小儿推拿：家长在家能做的健脾手法", Summary: "补脾经、摩腹、捏脊的要点。",
		Category: model.CategoryTCM, Stages: []string{model.StageToddler1to3y, model.StageChild3to6y},
		Body: "<p>中医认为小儿“脾常不足”，饮食稍有不慎就容易积食、厌食。家长学会几个简单手法，可以在家帮孩子调理脾胃。</p>" +
			"<h3>三个常用手法</h3><ol><li><strong>补脾经</strong>：拇指桡侧缘，由指尖推向指根，100 到 300 次；</li>" +
			"<li><strong>摩腹</strong>：饭后一小时，掌心顺时针轻摩腹部 100 次；</li>" +
			"<li><strong>捏脊</strong>：自下而上捏提脊柱两侧皮肤 3 到 5 遍。</li></ol>" +
			"<p>皮肤破损、发热或精神差时不宜推拿，应及时就医。</p>"},
	{Title: "孕早期饮食：少量多餐，叶酸别停", Summary: "孕吐明显时如何保证营养。",
		Category: model.CategoryNutrition, Stages: []string{model.StagePregnancy},
		Body: "<p>孕早期胎儿器官开始形成，每天继续补充叶酸 0.4 毫克，直到孕 12 周。</p>" +
			"<p>孕吐明显时可以少量多餐，选择清淡易消化的食物，如小米粥、苏打饼干；每天至少摄入 130 克碳水化合物，避免酮症。</p>" +
			"<p>呕吐严重、不能进食或尿量明显减少时，请到产科就诊。</p>"},
	{Title: "母乳喂养入门：正确含接与按需喂养", Summary: "含住大部分乳晕，宝宝饿了就喂。",
		Category: model.CategoryParenting, Stages: []string{model.StagePostpartum, model.StageInfant0to6m},
		Body: "<p>世界卫生组织建议 6 个月内纯母乳喂养。产后尽早让宝宝吸吮，有助于乳汁分泌。</p>" +
			"<h3>正确含接</h3><p>宝宝嘴张大，含住乳头和大部分乳晕，下唇外翻，能听到吞咽声。乳头疼痛多半是含接不对。</p>" +
			"<h3>按需喂养</h3><p>新生儿每天吃奶 8 到 12 次，不必严格定时；每天 6 片以上湿尿布，说明奶量基本足够。</p>"},
	{Title: "老年人慢病用药：按时按量，定期复查", Summary: "高血压、糖尿病老人的家庭用药提醒。",
		Category: model.CategoryElderly, Stages: []string{model.StageElderly},
		Body: "<p>高血压、糖尿病需要长期规律用药，不要自行停药或加量，也不要听信保健品“根治”的宣传。</p>" +
			"<ul><li>家属可帮助老人使用分药盒，按早中晚分好；</li><li>每月到家庭医生处复查血压、血糖；</li>" +
			"<li>签约居民行动不便时，可电话申请慢病药品送药上门。</li></ul>"},
	{Title: "备孕从补叶酸开始：孕前三个月的准备", Summary: "夫妻同查同调，提前三个月补叶酸。",
		Category: model.CategoryNutrition, Stages: []string{model.StagePreconception},
		Body: "<p>计划怀孕前 3 个月，女方开始每天补充叶酸 0.4 毫克，可降低胎儿神经管缺陷的风险。</p>" +
			"<p>夫妻双方建议做一次孕前优生健康检查，戒烟限酒，规律作息；体重过高或过低都会影响受孕，尽量把体重调整到正常范围。</p>"},
	{Title: "产后 42 天：月子饮食的三个误区", Summary: "不必顿顿浓汤，也不必忌口蔬果。",
		Category: model.CategoryNutrition, Stages: []string{model.StagePostpartum},
		Body: "<p><strong>误区一：只喝汤不吃肉。</strong>汤里的蛋白质很少，肉、蛋、鱼虾要吃够。</p>" +
			"<p><strong>误区二：不吃蔬菜水果。</strong>蔬果提供维生素和膳食纤维，能预防产后便秘。</p>" +
			"<p><strong>误区三：越补越好。</strong>过量进补容易发胖、乳汁淤积。产后 42 天请回医院做产后检查。</p>"},
	{Title: "产后情绪低落怎么办：认识产后抑郁", Summary: "持续两周以上的低落，要寻求专业帮助。",
		Category: model.CategoryParenting, Stages: []string{model.StagePostpartum},
		Body: "<p>产后几天内出现爱哭、易烦躁，多数是“产后情绪不良”，一两周内会自行好转。</p>" +
			"<p>如果情绪低落、失眠、对什么都提不起兴趣持续两周以上，甚至有伤害自己或宝宝的念头，可能是产后抑郁，需要及时到心理门诊就诊。</p>" +
			"<p>家人多分担夜间照护，让妈妈有完整的睡眠，是最实在的支持。</p>"},
	{Title: "新生儿护理：黄疸、脐带与睡眠", Summary: "新手爸妈最常问的三件事。",
		Category: model.CategoryParenting, Stages: []string{model.StageInfant0to6m},
		Body: "<h3>黄疸</h3><p>生理性黄疸多在出生后 2 到 3 天出现，2 周内消退。黄疸出现早、程度重或消退后又出现，要及时就诊。</p>" +
			"<h3>脐带</h3><p>保持脐部干燥清洁，一般 1 到 2 周脱落；有脓性分泌物或红肿要就医。</p>" +
			"<h3>睡眠</h3><p>让宝宝仰卧睡在自己的小床上，床上不放枕头、毛绒玩具，预防窒息。</p>"},
	{Title: "辅食添加常见问题：过敏、便秘与挑食", Summary: "辅食吃不好，先别急着换奶粉。",
		Category: model.CategoryNutrition, Stages: []string{model.StageInfant6to12m, model.StageToddler1to3y},
		Body: "<p>鸡蛋、鱼虾等容易过敏的食物不必刻意推迟，可以在 6 个月后少量尝试，出现过敏及时停用并咨询医生。</p>" +
			"<p>便秘的宝宝可增加红薯、西梅泥等富含膳食纤维的食物。挑食时不要强迫喂食，同一种食物换着做法多试几次。</p>"},
	{Title: "秋冬防感冒：给孩子的“治未病”功课", Summary: "起居有常、饮食有节，少生病。",
		Category: model.CategoryTCM, Stages: []string{model.StageToddler1to3y, model.StageChild3to6y},
		Body: "<p>中医“治未病”讲究未病先防。孩子秋冬容易感冒，重在日常调护。</p>" +
			"<ul><li>穿衣“背暖、腹暖、足暖”，但不要捂得太厚；</li><li>饮食七分饱，少吃冷饮和油炸零食；</li>" +
			"<li>每天户外活动，早睡早起；</li><li>常按足三里、捏脊，帮助增强体质。</li></ul>"},
	{Title: "学龄前儿童视力保护：每天户外两小时", Summary: "远视储备是孩子的视力“存款”。",
		Category: model.CategoryParenting, Stages: []string{model.StageChild3to6y},
		Body: "<p>3 到 6 岁的孩子有一定的远视储备，过早过多近距离用眼会提前消耗，增加近视风险。</p>" +
			"<ul><li>每天户外活动 2 小时以上；</li><li>尽量不用手机、平板，看电视每次不超过 15 分钟；</li>" +
			"<li>每半年到儿童保健门诊检查一次视力。</li></ul>"},
	{Title: "帮孩子度过入园焦虑", Summary: "提前熟悉、告别简短、按时接回。",
		Category: model.CategoryParenting, Stages: []string{model.StageToddler1to3y, model.StageChild3to6y},
		Body: "<p>入园前一两个月，带孩子去幼儿园附近玩，讲讲园里的一日生活，调整作息与园里一致。</p>" +
			"<p>送园时告别要简短坚定，不偷偷离开；放学按约定时间接回，让孩子建立安全感。哭闹一般两到四周会明显减少。</p>"},
	{Title: "冬病夏治：老年人三伏贴与艾灸保健", Summary: "慢性咳喘、怕冷的老人可在三伏天调理。",
		Category: model.CategoryTCM, Stages: []string{model.StageElderly},
		Body: "<p>冬病夏治是中医治未病的方法之一，适合慢性支气管炎、哮喘、体质虚寒的老人，在三伏天贴敷或艾灸。</p>" +
			"<p>贴敷一般每次 2 到 4 小时，皮肤起泡、瘙痒应及时揭下。糖尿病皮肤破损、对药物过敏者不宜贴敷，请先咨询中医师。</p>"},
	{Title: "中医体质调理：备孕女性的作息与饮食", Summary: "气血调和，是好孕的基础。",
		Category: model.CategoryTCM, Stages: []string{model.StagePreconception},
		Body: "<p>中医认为“气血调和”更易受孕。手脚冰凉、月经推后的女性多偏阳虚，可适当吃生姜、羊肉，避免生冷。</p>" +
			"<p>规律作息、不熬夜，每天快走 30 分钟；体质辨识可到医院中医科进行，不建议自行服用补药。</p>"},
	{Title: "预防跌倒：居家适老化的小改造", Summary: "防滑、照明、扶手，三件事做起来。",
		Category: model.CategoryElderly, Stages: []string{model.StageElderly},
		Body: "<p>跌倒是老年人受伤的首要原因。家里做几处小改造，就能减少很多风险：</p>" +
			"<ul><li>卫生间铺防滑垫、装扶手；</li><li>夜间从卧室到卫生间留一盏小夜灯；</li>" +
			"<li>常用物品放在伸手可及的高度，不站凳子取物。</li></ul><p>服用降压药、安眠药的老人起身要慢。</p>"},
	{Title: "孕中晚期体重管理与补铁补钙", Summary: "体重增长有目标，贫血要早查。",
		Category: model.CategoryNutrition, Stages: []string{model.StagePregnancy},
		Body: "<p>孕前体重正常的准妈妈，整个孕期增重 8 到 14 千克较为适宜，孕中晚期每周约 0.4 千克。</p>" +
			"<p>每周吃 1 到 2 次动物血或肝脏，每天一杯到两杯牛奶；产检发现贫血时按医嘱补铁。</p>"},
}
