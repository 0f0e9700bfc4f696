"""Demo data for the embedded default: a small but complete Hangzhou, created through the services.

Everything here is synthetic: names, ID numbers (valid check digits, fictitious people), phones.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select
from stdnum.cn import ric, uscc

from marketplace import profiles
from marketplace.models import (
    DeliveryMode,
    Hardship,
    Hub,
    Need,
    NeedKind,
    OrgType,
    Region,
    Role,
    User,
    utcnow,
)
from marketplace.profiles import Profile
from marketplace.schemas import HouseholdIn, NeedIn, OfferIn, OrgIn
from marketplace.services import accounts, claims, households, offers, wishes
from marketplace.services.clock import beijing_today
from marketplace.services.regions import HUB_SUFFIX

DEMO_PASSWORD = "zhongfu-demo-2026"
DISTRICT_STAFF = {
    "330102": "hub_shangcheng",
    "330105": "hub_gongshu",
    "330106": "hub_xihu",
    "330108": "hub_binjiang",
    "330109": "hub_xiaoshan",
    "330110": "hub_yuhang",
    "330111": "hub_fuyang",
    "330112": "hub_linan",
    "330113": "hub_linping",
    "330114": "hub_qiantang",
    "330122": "hub_tonglu",
    "330127": "hub_chunan",
    "330182": "hub_jiande",
}
# The demo accounts as staff first meet them: `zhongfu serve` prints them and README.md's "demo
# accounts" paragraph is this list (tests/test_cli_serve.py checks both against it and the demo data).
DEMO_MEMBERS = tuple(f"member{i}" for i in range(1, 6))
DEMO_ACCOUNTS: list[tuple[tuple[str, ...], str]] = [
    (("admin",), "administrator, 民政局"),
    (
        ("hub_shangcheng", *(n for n in DISTRICT_STAFF.values() if n != "hub_shangcheng")),
        "hub staff, one per district, 区县助联体",
    ),
    (("hub_hubin",), "hub staff of a street, 湖滨街道"),
    (DEMO_MEMBERS, "Party members, 党员"),
    (("org_party", "org_ngo"), "vetted organisations"),
    (("org_new",), "an organisation waiting to be vetted"),
]


def demo_usernames() -> list[str]:
    """Every login name of DEMO_ACCOUNTS, in order."""
    return [name for names, _ in DEMO_ACCOUNTS for name in names]


def accounts_lines() -> list[str]:
    """The demo accounts for the console: each group, then its login names (all of them)."""
    import textwrap

    lines = [f"Demo accounts (password {DEMO_PASSWORD} for all):"]
    for names, what in DEMO_ACCOUNTS:
        shown = f"{names[0]} … {names[-1]}" if names == DEMO_MEMBERS else ", ".join(names)
        lines.append(f"  {what}:")
        lines.extend(textwrap.wrap(shown, 96, initial_indent="    ", subsequent_indent="    "))
    return lines


def readme_paragraph() -> str:
    """README.md's demo-accounts paragraph, made from DEMO_ACCOUNTS."""
    parts = []
    for names, what in DEMO_ACCOUNTS:
        if names == DEMO_MEMBERS:
            shown = f"`{names[0]}`…`{names[-1]}`"
        else:
            shown = ", ".join(f"`{n}`" for n in names)
        parts.append(f"{shown} ({what})")
    return f"The demo accounts all use the password `{DEMO_PASSWORD}`: " + "; ".join(parts) + "."


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "秀英桂兰玉兰建华国强志明海燕丽华金凤春梅德明文杰晓东雪梅永福美玲建国淑珍子涵欣怡浩然梓轩雨桐宏伟秀珍明华"
ROADS = (
    "解放路",
    "延安路",
    "庆春路",
    "凤起路",
    "文三路",
    "莫干山路",
    "江南大道",
    "市心路",
    "人民路",
    "迎宾路",
)

WISHES: list[tuple[str, str, str, int]] = [
    (
        "07-02",
        "电饭煲坏了，想要一个新的",
        "独居老人家里的电饭煲用了十几年坏了，平时自己做饭，希望有一个小电饭煲。",
        200,
    ),
    ("07-02", "需要一台小冰箱", "家中没有冰箱，夏天饭菜容易坏，老人患糖尿病需要冷藏胰岛素。", 900),
    ("07-02", "想要一台电风扇", "出租屋闷热，家里老人夏天中暑过一次，希望有一台落地扇。", 150),
    (
        "05-02",
        "孩子需要一个新书包",
        "孩子下学期升初中，旧书包已经破了，希望有一个书包和一套文具。",
        150,
    ),
    ("05-02", "想要一盏护眼台灯", "孩子晚上在小桌子上写作业，灯光太暗，希望有一盏护眼台灯。", 120),
    ("05-02", "需要课外辅导书", "孩子读五年级，数学和英语跟不上，想要几本练习册和一本字典。", 100),
    ("09-02", "冬天需要厚棉被", "家里只有薄被子，老人怕冷，希望有一床厚棉被和一件羽绒服。", 300),
    (
        "09-02",
        "孩子需要冬季校服和棉鞋",
        "孩子长个子了，去年的冬衣穿不下，需要一件棉衣和一双棉鞋。",
        250,
    ),
    ("09-01", "希望有一些米面粮油", "家庭收入低，希望能得到一袋大米、一桶食用油。", 200),
    ("03-04", "需要一辆轮椅", "老人中风后行动不便，出门看病需要一辆轻便轮椅。", 600),
    ("03-04", "想要一根助行拐杖", "老人腿脚不好，走路不稳，希望有一根四脚拐杖。", 80),
    (
        "07-01",
        "厨房水龙头漏水需要修理",
        "家里厨房水龙头一直漏水，老人不会修，希望有人上门帮忙更换。",
        100,
    ),
    ("07-01", "卫生间灯坏了", "卫生间的灯坏了好几天，晚上上厕所很不方便，希望有人帮忙修一下。", 60),
    ("07-03", "卫生间需要安装扶手", "老人上厕所起身困难，希望在卫生间装一个扶手和防滑垫。", 300),
    ("04-04", "春节想要一份慰问品", "独居老人过年一个人，希望能收到一份节日慰问品和春联。", 150),
    ("05-03", "孩子上大学需要学费帮助", "孩子考上大学，家里凑不齐第一年的学费和住宿费。", 5000),
    ("01-04", "希望有人帮忙买药取药", "老人每月要去医院取药，子女不在身边，希望有人代购代办。", 0),
    ("06-01", "想学一门手艺", "家中主要劳动力失业，想参加电工或家政培训。", 0),
]
SERVICES: list[tuple[str, str, str]] = [
    ("01-01", "每天需要送一顿午餐", "独居高龄老人做饭困难，希望每天中午有人送餐。"),
    ("01-02", "每周上门打扫卫生", "老人腿脚不便，家里卫生无法打理，希望每周上门保洁一次。"),
    ("01-03", "需要助浴服务", "失能老人洗澡困难，希望有专业助浴服务。"),
    ("02-01", "希望有人定期探访", "老人独居，子女在外地，希望每周有人上门看看。"),
    ("02-02", "想有人陪伴聊天", "老人丧偶后情绪低落，希望志愿者常来陪伴聊天。"),
    ("03-01", "需要陪同去医院复查", "老人每月要去医院复查，没人陪同，希望有人陪诊。"),
    ("03-02", "术后需要康复护理", "家人骨折术后在家康复，需要上门康复指导。"),
    ("04-01", "孩子需要心理疏导", "孩子父母离异后情绪低落、不愿上学，需要心理老师疏导。"),
    ("05-01", "孩子需要学业辅导", "孩子初二数学成绩落后，父母无力辅导，希望有大学生志愿者辅导。"),
    ("06-02", "希望推荐一份工作", "家庭成员四十多岁失业，希望推荐一份保安或保洁工作。"),
    ("08-01", "需要法律咨询", "遇到工资被拖欠的问题，不知道怎么维权，需要法律咨询。"),
    ("08-02", "邻里纠纷需要调解", "与楼上邻居因漏水问题发生纠纷，希望社区帮忙调解。"),
]
ORGS: list[tuple[str, str, str]] = [
    ("上城区机关党委", "party_org", "湖滨党员先锋服务队"),
    ("西湖区教育系统党委", "party_org", "学业辅导志愿队"),
    ("杭州市阳光助老服务中心", "ngo", "阳光助餐助洁"),
    ("杭州市心语心理咨询服务社", "ngo", "心语心理疏导"),
    ("浙江平安家电有限公司", "enterprise", "家电焕新行动"),
    ("杭州暖冬服饰有限公司", "enterprise", "冬衣暖心计划"),
    ("杭州市慈善总会助学信托", "trust", "圆梦助学金"),
    ("杭州康复辅具公益联盟", "ngo", "辅具适配与租借"),
    ("萧山区律师协会党支部", "party_org", "法律援助进社区"),
    ("余杭区家政服务协会", "ngo", "家政技能培训"),
    ("杭州市粮油商会", "enterprise", "米面粮油爱心包"),
    ("钱塘区青年志愿者协会", "ngo", "陪伴探访行动"),
]
OFFER_ITEMS = [
    ["02-01", "02-02", "04-04"],
    ["05-01", "05-02"],
    ["01-01", "01-02", "01-03"],
    ["04-01", "04-03"],
    ["07-02", "07-01"],
    ["09-02"],
    ["05-03"],
    ["03-04", "07-03"],
    ["08-01", "08-02", "08-03"],
    ["06-01", "06-02"],
    ["09-01", "09-03"],
    ["02-01", "02-02", "03-01", "01-04"],
]


def _id_number(rng: random.Random, district: str, used: set[str]) -> str:
    while True:
        birth = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 70 * 365))
        body = f"{district}{birth:%Y%m%d}{rng.randrange(0, 999):03d}"
        number = body + ric.calc_check_digit(body + "0")
        if number not in used:
            used.add(number)
            return number


def seed_demo(session: Session, *, seed: int = 20261123) -> str:
    """Create the demo city once; a second call does nothing."""
    if session.exec(select(User.id).where(User.username == "admin")).first() is not None:
        return "Demo data already present."
    rng = random.Random(seed)
    today = beijing_today()
    admin = accounts.create_user(
        session,
        actor=None,
        username="admin",
        password=DEMO_PASSWORD,
        role=Role.ADMIN,
        display_name="民政局管理员",
    )
    staff = {
        code: accounts.create_user(
            session,
            actor=admin,
            username=name,
            password=DEMO_PASSWORD,
            role=Role.HUB_STAFF,
            hub_code=code,
        )
        for code, name in DISTRICT_STAFF.items()
    }
    accounts.create_user(
        session,
        actor=admin,
        username="hub_hubin",
        password=DEMO_PASSWORD,
        role=Role.HUB_STAFF,
        hub_code="330102003",
    )
    _hub_contacts(session)
    members = [
        accounts.create_user(
            session,
            actor=admin,
            username=f"member{i}",
            password=DEMO_PASSWORD,
            role=Role.MEMBER,
            display_name=f"党员{i}",
        )
        for i in range(1, 6)
    ]

    # Organisations: all vetted but the last, which waits for the administrator.
    org_users = []
    for i, (name, kind, _) in enumerate(ORGS):
        credit_code = _credit_code(f"9133010{i:02d}MA2{rng.randrange(10**6):06d}"[:17])
        org = offers.register_org(
            session, actor=admin, data=OrgIn(name=name, type=OrgType(kind), credit_code=credit_code)
        )
        offers.vet_org(session, actor=admin, org_id=org.id or 0, approve=True, note="材料齐全")
        username = {0: "org_party", 2: "org_ngo"}.get(i, f"org{i + 1}")
        org_users.append(
            accounts.create_user(
                session,
                actor=admin,
                username=username,
                password=DEMO_PASSWORD,
                role=Role.ORG,
                org_id=org.id,
            )
        )
    pending = offers.register_org(
        session,
        actor=admin,
        data=OrgIn(
            name="杭州新希望科技有限公司",
            type=OrgType.ENTERPRISE,
            credit_code=_credit_code("91330106MA2NEW001"),
        ),
    )
    accounts.create_user(
        session,
        actor=admin,
        username="org_new",
        password=DEMO_PASSWORD,
        role=Role.ORG,
        org_id=pending.id,
    )

    districts = sorted(DISTRICT_STAFF)
    for i, user in enumerate(org_users):
        centre = session.get(Region, districts[i % len(districts)])
        assert centre is not None
        use_radius = i % 3 == 0
        offers.create_offer(
            session,
            actor=user,
            data=OfferIn(
                title=ORGS[i][2],
                description="面向困难家庭的公益帮扶项目",
                items=OFFER_ITEMS[i],
                # Radius projects reach the urban core around their district; the others serve
                # six districts, so that every district has offers for most items.
                regions=[]
                if use_radius
                else [districts[(i + k) % len(districts)] for k in range(0, 13, 2)][:6],
                lat=centre.lat if use_radius else None,
                lon=centre.lon if use_radius else None,
                radius_km=30.0 if use_radius else None,
                capacity=rng.choice([10, 20, 30, 50]),
                start=today - timedelta(days=30),
                end=today + timedelta(days=180),
                hardship=[Hardship.CARE, Hardship.BOTTOM] if i == 6 else [],
            ),
        )

    # Households and needs, ten per district.
    communities: dict[str, list[str]] = {d: [] for d in districts}
    for code in session.exec(select(Region.code).where(Region.level == "community")):
        communities[code[:6]].append(code)
    used: set[str] = set()
    n_households = n_needs = 0
    for district in districts:
        actor = staff[district]
        for _ in range(10):
            name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))
            household = households.create_household(
                session,
                actor=actor,
                data=HouseholdIn(
                    name=name,
                    id_number=_id_number(rng, district, used),
                    phone=f"1{rng.choice('35789')}{rng.randrange(10**9):09d}",
                    address=f"{rng.choice(ROADS)}{rng.randrange(1, 300)}号{rng.randrange(1, 20)}幢{rng.randrange(1, 6)}0{rng.randrange(1, 4)}室",
                    community_code=rng.choice(communities[district]),
                    hardship_type=Hardship(
                        hardship := rng.choices(
                            ["bottom", "expense", "emergency", "development", "care"],
                            [22, 7, 2, 52, 17],
                        )[0]
                    ),
                    members=(size := rng.randrange(1, 6)),
                    tags=rng.sample(
                        ["elderly", "disabled", "child", "serious_illness", "single"],
                        rng.randrange(0, 3),
                    ),
                    # 家庭画像: the score is computed from it (services/resilience.py).
                    profile=Profile.model_validate(profiles.sample(rng, size, hardship)),
                ),
            )
            n_households += 1
            for _ in range(rng.choice([1, 2, 2, 3])):
                if rng.random() < 0.65:
                    item, title, text, value = rng.choice(WISHES)
                    kind = "wish"
                else:
                    item, title, text = rng.choice(SERVICES)
                    kind, value = "service", 0
                need = households.create_need(
                    session,
                    actor=actor,
                    data=NeedIn(
                        household_id=household.id or 0,
                        kind=NeedKind(kind),
                        item=item,
                        title=title,
                        description=text,
                        value_yuan=Decimal(value),
                        deadline=today + timedelta(days=rng.randrange(20, 90)),
                        delivery_mode=_delivery(kind, item)[0],
                        delivery_instructions=_delivery(kind, item)[1],
                    ),
                )
                n_needs += 1
                if rng.random() < 0.85:
                    households.publish_need(session, actor=actor, need_id=need.id or 0)
                    if kind == "wish" and rng.random() < 0.4:
                        # Published weeks ago and still unclaimed: the next match round takes it.
                        need.published_at = utcnow() - timedelta(days=rng.randrange(15, 40))

    # A few claims in every state so every page has something to show.
    policy = claims.ClaimPolicy(max_open=3, days=7)
    open_wishes = [v.id for v in wishes.browse(session, wishes.WishFilter(), limit=400)[0]]
    rng.shuffle(open_wishes)
    for member, wish_ids in zip(
        members[1:],
        (open_wishes[0:3], open_wishes[3:6], open_wishes[6:9], open_wishes[9:12]),
        strict=True,
    ):
        made = [
            claims.claim_wish(session, member=member, wish_id=w, policy=policy) for w in wish_ids
        ]
        claims.report_delivery(
            session, actor=member, claim_id=made[0].id or 0, note="已送到老人家中，当面交给老人本人"
        )
        if member is members[1] or member is members[2]:
            confirmed = session.get(Need, made[0].need_id)
            assert confirmed is not None
            claims.confirm_delivery(
                session, actor=staff[confirmed.community_code[:6]], need_id=confirmed.id or 0
            )
    session.flush()
    return f"Demo data: 13 districts, {n_households} households, {n_needs} needs, {len(org_users)} live offers."


# Deliveries: how each demo need reaches its household, and what staff wrote for the helper.
HOME_DELIVERY_ITEMS = {"07-02", "09-01", "03-04"}  # appliances, staples, mobility aids: heavy


def _delivery(kind: str, item: str) -> tuple[DeliveryMode, str]:
    if kind == "service":
        return DeliveryMode.HOME_SERVICE, "上门服务，需先电话预约；老人行动不便，请耐心等候开门"
    if item in HOME_DELIVERY_ITEMS:
        return DeliveryMode.HOME_DELIVERY, "送货上门，请提前一天电话预约"
    return DeliveryMode.HANDOVER, "送到社区服务中心，由工作人员转交"


def _hub_contacts(session: Session) -> None:
    """本助联体联系方式 for the demo's staffed hubs: synthetic names, phones and addresses."""
    surnames = "王李张刘陈杨赵黄周吴徐孙朱马胡"
    staffed = select(User.hub_id).where(col(User.hub_id).is_not(None))
    hubs = session.exec(select(Hub).where(col(Hub.id).in_(staffed)).order_by(Hub.region_code))
    for n, hub in enumerate(hubs.all()):
        if hub.contact_phone:
            continue
        place = hub.name.removesuffix(HUB_SUFFIX.get(hub.level, ""))  # 上城区助联体 → 上城区
        hub.contact_name = f"{surnames[n % len(surnames)]}老师"
        hub.contact_phone = f"0571-8{int(hub.region_code[-4:]) % 10000:04d}{n % 1000:03d}"
        hub.handover_address = f"{place}社会救助服务联合体服务大厅 1 楼 10{n % 9 + 1} 室"
        hub.office_hours = "周一至周五 9:00–17:00"
        session.add(hub)
    session.flush()


def _credit_code(body17: str) -> str:
    return body17 + uscc.calc_check_digit(body17)
