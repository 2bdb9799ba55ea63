"""A deterministic, realistic imitation site: stories written from the seed page's prose.

`build_site` draws everything from one seeded `random.Random`, so the same arguments give
the same site on every machine. The stories carry the quirks the crawler must handle:
datelines (mostly Pyongyang, some foreign, some with the spacing variants seen on the real
site, none on anecdotes), leader-name markup, the end mark ` -0-` (sometimes a paragraph of
its own), photo captions, stories listed in two categories, and one story datelined
December 31 but listed `[2026.1.1.]` across the year boundary.
"""

from __future__ import annotations

import datetime
import html
import random
from dataclasses import dataclass

from wirecrawl.testsite.model import KCNA_CATEGORIES, Category, Site, Story, mark_leaders

# The newest listing date; fixed so that a site never depends on the day it was built.
LAST_DAY = datetime.date(2026, 11, 20)
# Listings of the current layout reach back about a year.
FIRST_DAY = datetime.date(2025, 12, 1)
# The story that crosses the year boundary: datelined December 31, listed the next day.
BOUNDARY_LISTED = datetime.date(2026, 1, 1)

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_LATEST_NEWS = "a666dda1282180e0ee1b4427b0574ae7"
_TOP_NEWS = "6a47505ba5268fd7749c0fe11e4b24b4"
# What kind of story each category carries; the two mixed ones draw from several kinds.
_CATEGORY_KINDS: dict[str, tuple[str, ...]] = {
    "b0721b9f23054ddc7fe56c2811a12715": ("leader",),
    "503e9b606704f9b1c625fa5755928cd3": ("anecdote",),
    "7bc083f00425be6aadfb828fba1cb5a7": ("memory",),
    _LATEST_NEWS: ("home", "social", "external", "world", "leader"),
    _TOP_NEWS: ("leader", "document", "external", "home"),
    "2f7d854121ccbbfbe6feae9fdcc3556e": ("home",),
    "1afa96195f9b303902490a126ab7285f": ("document",),
    "ecc14533d88be93068af4178946b1b05": ("world",),
    "680e40b40899891bbe75a7072e3285e7": ("social",),
    "e2f336db98b5e69c75e0da264e037e8d": ("external",),
}

_PROVINCES = (
    "South Phyongan Province",
    "North Phyongan Province",
    "South Hwanghae Province",
    "North Hwanghae Province",
    "South Hamgyong Province",
    "North Hamgyong Province",
    "Kangwon Province",
    "Jagang Province",
    "Ryanggang Province",
)
# (city, the province it lies in or beside), so that a story names a city where it is.
_CITIES = (
    ("Hamhung", "South Hamgyong Province"),
    ("Sinuiju", "North Phyongan Province"),
    ("Kanggye", "Jagang Province"),
    ("Wonsan", "Kangwon Province"),
    ("Haeju", "South Hwanghae Province"),
    ("Sariwon", "North Hwanghae Province"),
    ("Hyesan", "Ryanggang Province"),
    ("Chongjin", "North Hamgyong Province"),
    ("Kaesong", "North Hwanghae Province"),
    ("Nampho", "South Phyongan Province"),
    ("Rason", "North Hamgyong Province"),
)
_FARMS = (
    "Okye Farm",
    "Wollang Farm",
    "Saesol Farm",
    "Roun Farm",
    "Mangum Greenhouse Farm",
    "Migok Farm",
)
_FACILITIES = (
    "general foodstuff factory",
    "regional hospital",
    "textile mill",
    "chemical fibre mill",
    "hydropower station",
    "railway station",
    "fish farm",
    "cosmetics factory",
    "vegetable greenhouse farm",
    "county hospital",
    "furniture factory",
    "shoe factory",
)
# (city, country) for foreign datelines and for stories about other countries.
_ABROAD = (
    ("Moscow", "Russia"),
    ("Beijing", "China"),
    ("Vientiane", "Laos"),
    ("Hanoi", "Viet Nam"),
    ("Havana", "Cuba"),
    ("Minsk", "Belarus"),
    ("Ulaanbaatar", "Mongolia"),
    ("Managua", "Nicaragua"),
    ("Jakarta", "Indonesia"),
    ("Cairo", "Egypt"),
)
_ORDINALS = ("10th", "20th", "30th", "50th", "60th", "70th", "80th")

# The seed story (seed-page.txt), paragraph by paragraph after its dateline.
_SEED_STORY = (
    "Kim Jong Un, chairman of the Workers' Party of Korea and chairman of the State Affairs "
    "Commission of the Democratic People's Republic of Korea, {weekday_before} received Russian "
    "Foreign Minister Sergei Lavrov on a visit to the DPRK at the Paekhwawon State Guesthouse.",
    "Present there were Igor Morgulov, vice foreign minister of Russia, Alexandr Matsegora, "
    "Russian ambassador to the DPRK, Oleg Stepanov, director of the External Policy Planning "
    "Department of the Russian Foreign Ministry, Oleg Burmistrov, roving ambassador of the "
    "Russian Foreign Ministry and Igor Sagitov, deputy director of the Asia 1 Department of the "
    "Russian Foreign Ministry.",
    "The respected Supreme Leader gladly met with the foreign minister, exchanged warm greetings "
    "with him and had a photo session with his party.",
    "He warmly welcomed the visit of Foreign Minister Lavrov and his party to the DPRK and had a "
    "friendly conversation with them.",
    "On the occasion Lavrov respectfully conveyed the personal letter of President of the Russian "
    "Federation Vladimir Vladimirovich Putin to Kim Jong Un.",
    "Kim Jong Un expressed thanks to President Putin for sending his warm and fine personal letter "
    "and conveyed thanks to him.",
    "Exchanged at the conversation were the opinions and views of the top leaderships of the DPRK "
    "and Russia on the trend of the situation and prospect of the Korean peninsula and the region, "
    "the recent world focus. Also discussed there were the issues of further expanding and "
    "developing the relations of political and economic cooperation between the two countries and "
    "closely cooperating with each other.",
    "Lavrov highly appreciated the DPRK for having successfully steered the relations between the "
    "north and south of Korea and between the DPRK and the U.S., and the situation of the Korean "
    "peninsula and the region for having entered the phase of stability.",
    "And agreed at the conversation was to invigorate high-ranking visits, activate exchange and "
    "cooperation in different fields and, especially, realize the meeting between the top leaders "
    "of the DPRK and Russia this year in a bid to continue to develop the strategic and "
    "traditional DPRK-Russia relations in the interests of both sides.",
    "Kim Jong Un expressed great satisfaction over the fact that his good conversation with "
    "Foreign Minister Lavrov confirmed the stand and intention of the Russian leadership and "
    "helped build the new political and strategic relations of mutual confidence.",
)

# Sentences any story of a kind may use to fill its later paragraphs.
_FILLER: dict[str, tuple[str, ...]] = {
    "home": (
        "The builders introduced advanced construction methods and finished the project in a "
        "short span of time.",
        "Officials and working people of the province pooled their efforts and materials for the "
        "project.",
        "The new production lines have been equipped with modern facilities, raising output and "
        "the quality of products.",
        "Scientists and technicians helped solve the technical problems arising in production.",
        "A ceremony was held on the spot to celebrate the completion of the project.",
        "Present there were officials of the provincial Party committee and people's committee "
        "and builders.",
        "The new facilities will contribute to improving the living conditions of the people in "
        "the region.",
        "Similar projects are under way in other cities and counties across the country.",
        "The workers are striving to increase production with the use of local raw materials.",
        "Agricultural workers are stepping up threshing and grain purchase to reduce loss.",
        "Speakers called on all the officials and working people to carry out this year's plan "
        "ahead of schedule.",
        "The project was completed with materials and equipment produced by local factories.",
    ),
    "social": (
        "Citizens and students are visiting the place in large numbers every day.",
        "The teaching staff are making efforts to raise the quality of education.",
        "The building has classrooms, laboratories and a library with modern equipment.",
        "Visitors spoke highly of the newly arranged environment.",
        "Performers presented songs, dances and instrumental ensembles.",
        "The park has been furnished with amusement facilities and rest places.",
        "Sports competitions and cultural events are held there on holidays.",
        "Participants looked round the exhibits with keen interest.",
    ),
    "leader": (
        "He was greeted on arrival by leading officials of the Party and government.",
        "Looking round various places, he learned in detail about the work.",
        "He expressed great satisfaction over the fact that the project had been carried out at a "
        "high level.",
        "He set forth tasks to be tackled to further improve the work.",
        "He was accompanied by senior officials of the Central Committee of the Workers' Party of "
        "Korea.",
        "He said that all the work should be done in the interests of the people.",
        "He highly appreciated the feats of the builders and officials who performed labour "
        "exploits.",
    ),
    "anecdote": (
        "The officials were deeply moved by his words.",
        "He said that nothing is too good for the people.",
        "He told the officials to pay deep attention to every detail.",
        "Today the place is always crowded with people.",
        "The people still recall that day with deep emotion.",
    ),
    "memory": (
        "The people remember his benevolent love with deep emotion.",
        "He made sure that the work was done in the interests of the people.",
        "Many years have passed since then, but his exploits remain in the hearts of the people.",
        "The officials were deeply moved by his words.",
        "The story is still told among the people of the area.",
    ),
    "news_items": (
        "-- An article calls on all the people to make innovations in their work.",
        "-- An article deals with the successes made in agricultural production.",
        "-- An article introduces the achievements made in the drive for rural development.",
        "-- An article says that science and technology are the engine of economic development.",
        "-- An article reports on the construction of new houses in rural areas.",
        "-- An article stresses the importance of protecting the environment.",
    ),
    "document": (
        "The statement stressed that the DPRK will continue to defend its sovereignty.",
        "The spokesperson said that the DPRK will closely follow the situation.",
        "It is the consistent stand of the DPRK to develop relations with all countries "
        "friendly to it.",
    ),
    "world": (
        "Speakers at the event referred to the achievements of the Korean people.",
        "Participants called for expanding friendship and cooperation between the two countries.",
        "The event was attended by officials of friendship organizations and public figures.",
        "A letter to Kim Jong Un was adopted at the event.",
        "Exhibited there were photos showing the achievements made in various fields.",
    ),
    "external": (
        "The delegation is to hold talks on developing cooperation in various fields.",
        "It was seen off at the airport by officials concerned.",
        "Present there were officials of the Foreign Ministry and members of the embassy.",
        "Speeches were made at the reception.",
        "The speakers expressed the will to further develop the friendly relations between the "
        "two countries.",
    ),
}

_CAPTIONS: dict[str, tuple[str, ...]] = {
    "home": ("A view of the {facility}.", "Builders at the {facility} in {province}."),
    "social": ("Citizens visit the newly built place.", "A view of the place in {city}."),
    "leader": (
        "Kim Jong Un looks round the {facility}.",
        "Kim Jong Un talks with officials on the spot.",
    ),
    "anecdote": ("Kim Jong Un with schoolchildren.",),
    "memory": ("Kim Il Sung gives field guidance.", "Kim Jong Il at the {facility}."),
    "document": ("Rodong Sinmun of {day}.",),
    "world": ("The event in {foreign_city}.",),
    "external": ("The delegation at Pyongyang International Airport.",),
}


@dataclass(frozen=True)
class _Topic:
    """A kind of story: headline forms, its first sentence and sentences proper to it."""

    kind: str
    titles: tuple[str, ...]
    opening: str
    details: tuple[str, ...] = ()
    dateline: bool = True
    foreign: bool = False
    filler: str = ""
    """Key of `_FILLER` for later paragraphs when not the kind's own."""


_TOPICS: tuple[_Topic, ...] = (
    # Home: openings completed from the seed page's teasers.
    _Topic(
        kind="home",
        titles=("Remodeling of General Foodstuff Factory Completed in {city}",),
        opening="{city} in the DPRK concluded the project for remodeling the general foodstuff "
        "factory, a major production base of foodstuffs in the region.",
        details=("The factory now turns out soy sauce, bean paste and confectionery.",),
    ),
    _Topic(
        kind="home",
        titles=("Roads Remodeled in {province}", "{province} Remodels Roads"),
        opening="According to Rodong Sinmun, {province} of the DPRK has remodeled roads in many "
        "sections to provide better traffic conditions for the people.",
        details=("Road builders widened the roads and laid them with asphalt.",),
    ),
    _Topic(
        kind="home",
        titles=("New Grain Station Built in {province}",),
        opening="{province} in the DPRK built a new grain station specializing in grain "
        "transport, which will help supply grain to the cities and counties in time.",
    ),
    _Topic(
        kind="home",
        titles=("{city} Stadium Rebuilt", "Stadium Rebuilt in {city}"),
        opening="{province} in the DPRK has rebuilt {city} Stadium. The stadium equipped with "
        "modern facilities can accommodate more than 20,000 spectators.",
    ),
    _Topic(
        kind="home",
        titles=("New Process for Producing Edible Calcium Established in {province}",),
        opening="{province} in the DPRK has established a new process for producing edible "
        "calcium from shells.",
    ),
    _Topic(
        kind="home",
        titles=("New Houses Built at {farm}", "New Houses for Farmers of {farm}"),
        opening="New houses have been built at the {farm} in {province}.",
        details=("Farmers moved into the new houses amid the congratulations of the villagers.",),
    ),
    _Topic(
        kind="home",
        titles=("Farmers in {province} Finish Threshing", "Threshing Finished at {farm}"),
        opening="Agricultural workers of the {farm} and the {farm2} in {province} have finished "
        "threshing ahead of schedule.",
    ),
    _Topic(
        kind="home",
        titles=("Increased Production Drive Conducted across DPRK",),
        opening="Motivation activities for increased production are being briskly conducted "
        "across the DPRK amid the drive for fulfilling this year's national economic plan.",
    ),
    _Topic(
        kind="home",
        titles=("New {facility_t} Built in {province}", "{province} Builds New {facility_t}"),
        opening="{province} in the DPRK has built a new {facility} to improve the living "
        "conditions of the people.",
    ),
    _Topic(
        kind="home",
        titles=("Exhibition of Koryo Medicine Products Opens",),
        opening="The exhibition of products of Koryo medicine pharmaceutical factories-{year} "
        "opened on {prev_day} at the Three-Revolution Exhibition House.",
    ),
    # Social life.
    _Topic(
        kind="social",
        titles=("{city} Foreign Languages School Remodeled",),
        opening="{city} Foreign Languages School has been remodeled. The builders and teaching "
        "staff of the school worked hard to provide good conditions for education.",
    ),
    _Topic(
        kind="social",
        titles=("Passenger Terminal Built on Taedong River",),
        opening="The peculiar terminal of the Phyongchon Passenger Station of the Pyongyang "
        "Marine Transport Station has been newly built on the bank of the Taedong River.",
    ),
    _Topic(
        kind="social",
        titles=("Mausoleum of King Kongmin", "Historical Relic in Kaesong"),
        opening="The Mausoleum of King Kongmin is the tomb of King Kyonghyo, the 31st King of "
        "Koryo (1352-1374).",
        details=("The mausoleum is registered as a national treasure.",),
    ),
    _Topic(
        kind="social",
        titles=("Meeting Held at Mangyongdae Schoolchildren's Palace",),
        opening="A meeting took place at the Mangyongdae Schoolchildren's Palace on {prev_day} "
        "to mark the {nth} anniversary of the founding of its art troupe.",
    ),
    _Topic(
        kind="social",
        titles=("Home-Visiting Group of Korean Students from Japan Arrives",),
        opening="A home-visiting group of students in their final year at Korea University of "
        "the General Association of Korean Residents in Japan arrived in Pyongyang on "
        "{prev_day}.",
    ),
    _Topic(
        kind="social",
        titles=("New Recreation Ground Opens in {city}",),
        opening="A new recreation ground has opened in {city}, {province}.",
    ),
    # The leader's activities.
    _Topic(
        kind="leader",
        titles=(
            "Kim Jong Un Receives Russian Foreign Minister",
            "Kim Jong Un Meets Russian Foreign Minister",
        ),
        opening=_SEED_STORY[0],
        details=_SEED_STORY[1:],
    ),
    _Topic(
        kind="leader",
        titles=(
            "Respected Comrade Kim Jong Un Inspects {facility_t} in {province}",
            "Kim Jong Un Visits {facility_t} in {city}",
        ),
        opening="Kim Jong Un, general secretary of the Workers' Party of Korea and president of "
        "the State Affairs of the DPRK, inspected the {facility} in {province}.",
    ),
    _Topic(
        kind="leader",
        titles=("Kim Jong Un Sends Greetings to President of {country}",),
        opening="Kim Jong Un, general secretary of the Workers' Party of Korea and president of "
        "the State Affairs of the DPRK, sent a message of greetings to the President of "
        "{country} on {prev_day}.",
        details=("He wished the President good health and greater success in his work.",),
    ),
    # Anecdotes: no dateline.
    _Topic(
        kind="anecdote",
        titles=("Masikryong Ski Resort Built for People", "Ski Resort and Love for People"),
        opening="The respected Comrade Kim Jong Un visited the Masikryong Ski Resort under "
        "construction in August 2013. While looking at the ski slopes, he said that the resort "
        "should be built to the highest standard for the people.",
        dateline=False,
    ),
    _Topic(
        kind="anecdote",
        titles=("Warm Love Shown by Respected General Secretary for Schoolchildren",),
        opening="One day the respected General Secretary Kim Jong Un learned that new school "
        "uniforms were being made for the schoolchildren across the country.",
        dateline=False,
    ),
    _Topic(
        kind="anecdote",
        titles=("People's Demands and Interests Are Standard of All Work",),
        opening="When looking round a newly built {facility} in {province}, the respected "
        "General Secretary asked the officials whether the people were satisfied with it.",
        dateline=False,
    ),
    _Topic(
        kind="anecdote",
        titles=("Shortcut to Building of Educational Power",),
        opening="Some years ago Kim Jong Un visited a school in {city} and looked round its "
        "classrooms one by one.",
        dateline=False,
    ),
    # Always in memory of people: sometimes datelined, often not.
    _Topic(
        kind="memory",
        titles=("Site for School Chosen Personally by President Kim Il Sung",),
        opening="There is a school standing on a sunny hill in {city}. Its site was chosen "
        "personally by President Kim Il Sung.",
        dateline=False,
    ),
    _Topic(
        kind="memory",
        titles=("Firm Faith in Victory", "Kim Il Sung's Visit to Munitions Factory"),
        opening="In the days of the Fatherland Liberation War President Kim Il Sung visited a "
        "munitions factory and encouraged its workers.",
        dateline=False,
    ),
    _Topic(
        kind="memory",
        titles=("Chairman Kim Jong Il and {city}",),
        opening="Chairman Kim Jong Il visited {city} many times to give field guidance to its "
        "factories and farms.",
    ),
    # Documents.
    _Topic(
        kind="document",
        titles=("Major News Items of Rodong Sinmun",),
        opening="Following are major news items and articles in Rodong Sinmun, a leading "
        "newspaper of the DPRK, on {day}:",
        filler="news_items",
    ),
    _Topic(
        kind="document",
        titles=("Press Statement of Spokesperson for DPRK Foreign Ministry",),
        opening="A spokesperson for the Foreign Ministry of the DPRK issued the following press "
        "statement on {prev_day}:",
    ),
    _Topic(
        kind="document",
        titles=("Work of Rural Development Reviewed",),
        opening="It has been four years since the Fourth Plenary Meeting of the Eighth Central "
        "Committee of the Workers' Party of Korea set forth the tasks for rural development.",
        dateline=False,
    ),
    # World: datelined abroad.
    _Topic(
        kind="world",
        titles=("Seminar on Juche Idea Held in {country}",),
        opening="A seminar on the Juche idea took place in {foreign_city} on {prev_day}.",
        foreign=True,
    ),
    _Topic(
        kind="world",
        titles=("Photo Exhibition Held in {country}", "Photo Exhibition Opens in {foreign_city}"),
        opening="A photo exhibition on the achievements of the Korean people opened in "
        "{foreign_city}, {country}.",
        foreign=True,
    ),
    _Topic(
        kind="social",
        titles=("The Air Force of Korean People's Army",),
        opening="The Air Force of the Korean People's Army has defended the dignity and prestige "
        "of the great country for decades.",
    ),
    # External relations.
    _Topic(
        kind="external",
        titles=("DPRK Delegation Leaves for {country}",),
        opening="A delegation of the Ministry of External Economic Relations of the DPRK left "
        "Pyongyang on {prev_day} to visit {country}.",
    ),
    _Topic(
        kind="external",
        titles=("Reception Given by Ambassador of {country}",),
        opening="The ambassador of {country} to the DPRK hosted a reception at the embassy on "
        "{prev_day} to mark the national day of his country.",
    ),
)

_SMALL_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "the", "to", "with"}
)


def _title_case(text: str) -> str:
    """KCNA headline case; capitalises first letters only (`str.title` breaks "children's")."""
    words = text.split()
    return " ".join(
        word if (position and word in _SMALL_WORDS) else word[:1].upper() + word[1:]
        for position, word in enumerate(words)
    )


def _month_day(day: datetime.date) -> str:
    return f"{_MONTHS[day.month - 1]} {day.day}"


@dataclass(frozen=True)
class _Draft:
    """A story before it gets an id: what `build_site` needs to decide uniqueness."""

    title_html: str
    paragraphs_html: list[str]
    captions: list[str]


class _Writer:
    """Writes stories from the topics above; holds the seeded random source."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def _fill(self, dated: datetime.date) -> dict[str, str]:
        rng = self.rng
        city, province = rng.choice(_CITIES)
        province2 = rng.choice([other for other in _PROVINCES if other != province])
        farm, farm2 = rng.sample(_FARMS, 2)
        foreign_city, country = rng.choice(_ABROAD)
        facility = rng.choice(_FACILITIES)
        before = dated - datetime.timedelta(days=1)
        return {
            "province": province,
            "province2": province2,
            "city": city,
            "farm": farm,
            "farm2": farm2,
            "facility": facility,
            "facility_t": _title_case(facility),
            "foreign_city": foreign_city,
            "country": country,
            "nth": rng.choice(_ORDINALS),
            "day": _month_day(dated),
            "prev_day": _month_day(before),
            "weekday_before": _WEEKDAYS[before.weekday()],
            "year": str(dated.year),
        }

    def _dateline(self, place: str, dated: datetime.date, *, variants: bool) -> str:
        # Spacing variants seen on the real site: "Pyongyang,July 9" and "(KCNA)--".
        comma = ", " if not variants or self.rng.random() > 0.05 else ","
        dashes = " -- " if not variants or self.rng.random() > 0.05 else "--"
        return f"{place}{comma}{_month_day(dated)} (KCNA){dashes}"

    def write(
        self, topic: _Topic, dated: datetime.date, *, dateline: bool, variants: bool = True
    ) -> _Draft:
        """A story of `topic` whose dateline (if any) carries `dated`.

        With `variants` the dateline may take one of the real site's odd spacings.
        """
        rng = self.rng
        fill = self._fill(dated)
        title = _title_case(rng.choice(topic.titles).format(**fill))
        sentences = [topic.opening.format(**fill)]
        wanted = rng.randint(3, 12)
        details = [detail.format(**fill) for detail in topic.details]
        filler = list(_FILLER[topic.filler or topic.kind])
        rng.shuffle(filler)
        # Later paragraphs: the topic's own sentences in order, then filler of its kind.
        paragraphs_text = [sentences[0]]
        while len(paragraphs_text) < wanted and (details or filler):
            if details:
                paragraphs_text.append(details.pop(0))
            else:
                count = min(len(filler), rng.choice((1, 1, 2)))
                paragraphs_text.append(" ".join(filler.pop() for _ in range(count)))
        paragraphs = [html.escape(text, quote=False) for text in paragraphs_text]
        if dateline:
            place = fill["foreign_city"] if topic.foreign else "Pyongyang"
            paragraphs[0] = self._dateline(place, dated, variants=variants) + paragraphs[0]
        # The end mark closes the last paragraph; now and then it stands as a paragraph alone.
        if rng.random() < 0.2:
            paragraphs.append("-0-")
        else:
            paragraphs[-1] += " -0-"
        # Leader names are marked up in every headline but only in some bodies, so that a
        # parser meets both forms of body text.
        if rng.random() < 0.7:
            paragraphs = [mark_leaders(paragraph) for paragraph in paragraphs]
        captions: list[str] = []
        if rng.random() < (0.7 if topic.kind == "leader" else 0.25):
            count = rng.randint(1, min(3, len(_CAPTIONS[topic.kind])))
            chosen = rng.sample(_CAPTIONS[topic.kind], count)
            captions = [mark_leaders(html.escape(c.format(**fill), quote=False)) for c in chosen]
        title_html = mark_leaders(html.escape(title, quote=False))
        return _Draft(title_html=title_html, paragraphs_html=paragraphs, captions=captions)


def _topics_for(category_id: str) -> list[_Topic]:
    kinds = _CATEGORY_KINDS[category_id]
    return [topic for topic in _TOPICS if topic.kind in kinds]


def _hex_id(rng: random.Random, taken: set[str]) -> str:
    while True:
        candidate = f"{rng.getrandbits(128):032x}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def build_site(stories: int, categories: int, seed: int) -> Site:
    """A site of `stories` stories in the first `categories` real categories (1 to 10).

    Deterministic in its arguments. Stories are dated between FIRST_DAY and LAST_DAY; the
    first story is the year-boundary case (dateline December 31, listed 2026.1.1.). About one
    story in six is listed in a second category. No two stories share a title and a date.
    """
    if not 1 <= categories <= len(KCNA_CATEGORIES):
        raise ValueError(f"categories must be 1..{len(KCNA_CATEGORIES)}, got {categories}")
    if stories < 0:
        raise ValueError(f"stories must not be negative, got {stories}")
    rng = random.Random(seed)
    writer = _Writer(rng)
    chosen = [Category(id=c.id, name=c.name) for c in KCNA_CATEGORIES[:categories]]
    chosen_ids = [category.id for category in chosen]
    span = (LAST_DAY - FIRST_DAY).days + 1
    taken_ids: set[str] = set()
    seen_titles: set[tuple[str, datetime.date]] = set()
    made: list[Story] = []
    for index in range(stories):
        boundary = index == 0
        if boundary:
            primary = _LATEST_NEWS if _LATEST_NEWS in chosen_ids else chosen_ids[0]
            published = BOUNDARY_LISTED
        else:
            primary = rng.choice(chosen_ids)
            published = FIRST_DAY + datetime.timedelta(days=rng.randrange(span))
        topics = _topics_for(primary)
        if boundary:
            topics = [topic for topic in topics if topic.dateline] or topics
        # A story filed late in the evening is listed the next day under yesterday's dateline.
        late = boundary or rng.random() < 0.1
        dated = published - datetime.timedelta(days=1) if late else published
        for _attempt in range(20):
            topic = rng.choice(topics)
            dateline = topic.dateline or (topic.kind == "memory" and rng.random() < 0.5)
            # The boundary story keeps the plain dateline form, so tests can find it easily.
            draft = writer.write(topic, dated, dateline=dateline or boundary, variants=not boundary)
            key = (draft.title_html, published)
            if key not in seen_titles:
                break
        seen_titles.add(key)
        story_categories = [primary]
        others = [category_id for category_id in chosen_ids if category_id != primary]
        if others and rng.random() < 1 / 6:
            preferred = [c for c in (_LATEST_NEWS, _TOP_NEWS) if c in others]
            story_categories.append(preferred[0] if preferred else rng.choice(others))
        made.append(
            Story(
                id=_hex_id(rng, taken_ids),
                title_html=draft.title_html,
                published=published,
                paragraphs_html=draft.paragraphs_html,
                captions=draft.captions,
                categories=story_categories,
            )
        )
    # Oldest first (stable), the order Site.stories documents.
    made.sort(key=lambda story: story.published)
    return Site(categories=chosen, stories=made)
