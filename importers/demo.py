"""The demo corpus: a deterministic, vectorised generator of synthetic tagged articles.

The articles are invented (fictional outlets, titles composed from templates) apart from one real,
hand-tagged record. Their trends are plausible, not measured: United Front coverage rising from 2017
to a peak in March 2018, Confucius Institutes peaking in 2019–2020, vaccine diplomacy concentrated
in 2021, party training steady in Africa, human rights at the UN following the Human Rights Council
sessions, a weekday rhythm, and a total volume that grows every year (so counts and shares differ).
Everything is drawn with numpy in whole batches; no Python loop runs per article.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from importers.base import BATCH_ROWS
from store.load import ImportResult, Staging
from store.paths import sample_data_dir
from store.records import CANONICAL_SCHEMA
from store.taxonomy import REGIONS, load_region_map, load_themes

DEFAULT_ARTICLES = 24_000
DEFAULT_SEED = 7
CORPUS_FILENAME = "demo_corpus.jsonl.gz"
FORMAT_NAME = "sample"

FIRST_DAY = date(2012, 1, 1)
LAST_DAY = date(2026, 10, 31)
UNTAGGED_SHARE = 0.25

# The article this project began from, tagged by hand: the one real record in the corpus.
SEED_RECORD: dict[str, object] = {
    "id": "dw-2018-04-05-china-soft-power",
    "title": "How China is trying to export its soft power",
    "source": "DW",
    "published": "2018-04-05",
    "themes": [
        "state-media", "united-front", "un-human-rights", "confucius-institutes", "china-model",
        "party-training", "censorship", "countermeasures",
    ],
    "countries": ["CN", "TW", "ET", "US"],
    "regions": ["Africa", "Pacific", "Middle East & North Africa"],
    "language": "en",
}

ProgressCallback = Callable[[str, int, int], None]

# -- fictional outlets -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outlet:
    """An invented outlet: name, web domain (reserved `.example` TLD), home country, language."""

    name: str
    domain: str
    country: str
    language: str
    weight: float


OUTLETS = (
    Outlet("Meridian Ledger", "meridian-ledger.example", "GB", "en", 6.0),
    Outlet("Lantern & Quay", "lantern-and-quay.example", "GB", "en", 3.0),
    Outlet("Kestrel Wire", "kestrel-wire.example", "US", "en", 8.0),
    Outlet("Capitol Lantern Review", "capitol-lantern.example", "US", "en", 4.0),
    Outlet("Maple & Pine Review", "maple-and-pine.example", "CA", "en", 3.0),
    Outlet("Harbourline Post", "harbourline-post.example", "AU", "en", 5.0),
    Outlet("Kauri Street Dispatch", "kauri-street.example", "NZ", "en", 2.0),
    Outlet("Coralwatch Pacific", "coralwatch-pacific.example", "FJ", "en", 2.0),
    Outlet("Acacia Herald", "acacia-herald.example", "KE", "en", 4.0),
    Outlet("Entoto Observer", "entoto-observer.example", "ET", "en", 2.5),
    Outlet("Kopje Courier", "kopje-courier.example", "ZA", "en", 3.0),
    Outlet("Harmattan Times", "harmattan-times.example", "NG", "en", 3.0),
    Outlet("La Boussole sahélienne", "boussole-sahelienne.example", "SN", "fr", 2.0),
    Outlet("Qasr Review", "qasr-review.example", "EG", "en", 2.0),
    Outlet("Gulf Meridian", "gulf-meridian.example", "AE", "en", 2.5),
    Outlet("Atrium Europe", "atrium-europe.example", "BE", "en", 3.5),
    Outlet("Lakeshore Briefing", "lakeshore-briefing.example", "CH", "en", 2.0),
    Outlet("Rheinblick Rundschau", "rheinblick.example", "DE", "de", 2.0),
    Outlet("Vistula Courier", "vistula-courier.example", "PL", "en", 1.5),
    Outlet("Straits Ledger", "straits-ledger.example", "SG", "en", 4.0),
    Outlet("Archipelago Wire", "archipelago-wire.example", "PH", "en", 2.5),
    Outlet("Mekong Compass", "mekong-compass.example", "TH", "en", 2.0),
    Outlet("Monsoon Dispatch", "monsoon-dispatch.example", "IN", "en", 4.0),
    Outlet("Indus Quarterly", "indus-quarterly.example", "PK", "en", 2.0),
    Outlet("Tian Shan Monitor", "tian-shan-monitor.example", "KG", "en", 1.5),
    Outlet("Yugang Weekly", "yugang-weekly.example", "HK", "zh", 2.0),
    Outlet("Formosa Channel Review", "formosa-channel.example", "TW", "en", 2.5),
    Outlet("La Brújula del Sur", "brujula-del-sur.example", "CL", "es", 2.5),
    Outlet("Gaceta del Istmo", "gaceta-del-istmo.example", "PA", "es", 1.5),
    Outlet("Jornal Ipê", "jornal-ipe.example", "BR", "pt", 2.5),
)
LANGUAGES = ("en", "fr", "es", "pt", "de", "zh")

# -- themes, their trends and their regions --------------------------------------------------------

# Region affinity of each theme, in REGIONS order: Africa, MENA, Europe, North America,
# Latin America & Caribbean, East Asia, Southeast Asia, South Asia, Central Asia, Pacific.
REGION_AFFINITY: dict[str, tuple[float, ...]] = {
    "united-front": (0.6, 0.3, 2.5, 2.5, 0.6, 2.0, 2.0, 0.5, 0.3, 3.0),
    "confucius-institutes": (1.8, 0.5, 3.0, 3.0, 1.0, 0.8, 1.0, 0.7, 0.6, 1.5),
    "party-training": (8.0, 0.5, 0.3, 0.1, 1.0, 0.4, 1.2, 0.6, 0.7, 0.5),
    "elite-capture": (0.8, 0.3, 2.5, 1.5, 0.5, 0.6, 1.2, 0.6, 0.3, 3.0),
    "state-media": (2.5, 1.0, 2.0, 2.0, 1.2, 1.0, 1.0, 0.8, 0.5, 1.0),
    "media-partnerships": (3.0, 1.0, 1.5, 0.5, 1.5, 0.5, 1.5, 1.0, 0.8, 1.2),
    "external-propaganda": (1.0, 0.8, 2.5, 2.5, 1.0, 1.5, 1.0, 0.8, 0.5, 1.2),
    "censorship": (0.5, 0.5, 2.0, 2.0, 0.4, 4.0, 1.0, 0.5, 0.4, 0.8),
    "china-model": (3.0, 1.0, 1.0, 0.8, 1.5, 0.8, 1.5, 1.0, 1.2, 0.8),
    "un-human-rights": (1.2, 1.0, 3.5, 1.5, 0.8, 1.0, 0.6, 0.6, 0.8, 0.4),
    "un-influence": (1.5, 0.8, 3.0, 2.5, 0.8, 0.8, 0.6, 0.6, 0.4, 0.5),
    "belt-and-road": (2.5, 1.2, 1.2, 0.4, 1.2, 0.4, 2.5, 2.2, 2.0, 1.2),
    "digital-silk-road": (2.0, 1.2, 2.5, 1.5, 1.0, 0.6, 1.8, 1.0, 0.8, 1.0),
    "vaccine-diplomacy": (2.0, 1.2, 1.2, 0.5, 2.8, 0.5, 2.5, 1.0, 0.8, 1.2),
    "countermeasures": (0.3, 0.2, 3.0, 3.5, 0.3, 1.2, 0.5, 0.6, 0.2, 3.0),
}
GENERAL_AFFINITY = (1.5, 1.5, 2.5, 2.0, 1.5, 1.5, 1.3, 1.3, 0.6, 0.8)

# Mean tone (GDELT-like scale) of articles on each theme; general news sits near -0.5.
TONE_MEAN: dict[str, float] = {
    "united-front": -2.2, "confucius-institutes": -1.2, "party-training": 0.4,
    "elite-capture": -2.8, "state-media": -0.8, "media-partnerships": 0.2,
    "external-propaganda": -2.5, "censorship": -3.4, "china-model": 0.3,
    "un-human-rights": -2.6, "un-influence": -0.9, "belt-and-road": -0.3,
    "digital-silk-road": -0.9, "vaccine-diplomacy": 0.9, "countermeasures": -1.6,
}
GENERAL_TONE = -0.5

# How often a country is the subject of an article, relative to the default; unlisted countries
# weigh DEFAULT_PROMINENCE, uninhabited or tiny territories nothing.
PROMINENCE: dict[str, float] = {
    # Africa
    "ET": 6, "KE": 8, "NG": 7, "ZA": 8, "TZ": 4, "ZM": 4, "ZW": 3, "GH": 4, "SN": 3, "DJ": 3,
    "AO": 3, "UG": 3, "CM": 2, "RW": 3, "CD": 3, "MZ": 2, "NA": 2, "BW": 2, "CI": 2, "ML": 1.5,
    "SS": 1.5, "MG": 1.5,
    # Middle East & North Africa
    "EG": 6, "SA": 6, "AE": 5, "IR": 5, "TR": 5, "IL": 4, "DZ": 3, "MA": 3, "IQ": 3, "QA": 3,
    "JO": 2, "SY": 2, "LB": 2, "TN": 2, "SD": 2, "OM": 2, "KW": 2,
    # Europe
    "GB": 8, "DE": 8, "FR": 7, "IT": 5, "RU": 6, "HU": 4, "RS": 4, "GR": 4, "CZ": 4, "PL": 4,
    "SE": 4, "NL": 3, "BE": 3, "CH": 4, "ES": 3, "UA": 3, "LT": 3, "PT": 2, "AT": 2, "DK": 2,
    "NO": 2, "IE": 1.5, "ME": 1.5,
    # North America
    "US": 10, "CA": 7, "BM": 0.2, "GL": 0.2, "PM": 0.05,
    # Latin America & Caribbean
    "BR": 7, "AR": 5, "MX": 5, "CL": 4, "PE": 4, "VE": 4, "EC": 3, "CO": 3, "PA": 3, "CU": 2,
    "BO": 2, "UY": 2, "CR": 2, "DO": 2, "JM": 2, "NI": 1.5, "SV": 1.5,
    # East Asia
    "CN": 3, "TW": 6, "JP": 6, "KR": 5, "HK": 5, "MN": 2, "MO": 1, "KP": 1.5,
    # Southeast Asia
    "ID": 6, "PH": 6, "MY": 5, "TH": 4, "VN": 4, "SG": 5, "KH": 4, "MM": 3, "LA": 3, "BN": 1,
    "TL": 1,
    # South Asia
    "IN": 8, "PK": 7, "LK": 5, "BD": 4, "NP": 4, "MV": 2, "AF": 2, "BT": 1,
    # Central Asia and the Caucasus
    "KZ": 6, "UZ": 4, "KG": 3, "TJ": 2, "TM": 1.5, "GE": 2, "AM": 1.5, "AZ": 2,
    # Pacific
    "AU": 10, "NZ": 7, "PG": 4, "FJ": 4, "SB": 4, "VU": 3, "TO": 2, "WS": 2, "KI": 2, "FM": 1.5,
    "PW": 1.5, "MH": 1.5, "NR": 1, "TV": 1, "CK": 0.8, "NU": 0.5, "NC": 1, "PF": 0.5,
    # Rarely or never in the news
    "AQ": 0, "BV": 0, "HM": 0, "TF": 0, "GS": 0, "UM": 0, "IO": 0, "CX": 0, "CC": 0, "PN": 0,
    "SJ": 0, "NF": 0.05, "TK": 0.1, "WF": 0.1, "AX": 0.1, "FO": 0.2, "FK": 0.2, "SH": 0.05,
    "BL": 0.1, "MF": 0.1, "SX": 0.1, "BQ": 0.1, "AI": 0.1, "MS": 0.1, "VG": 0.2, "VI": 0.2,
    "KY": 0.2, "TC": 0.1, "GP": 0.2, "MQ": 0.2, "GF": 0.2, "RE": 0.3, "YT": 0.2, "GU": 0.3,
    "MP": 0.2, "AS": 0.2, "EH": 0.3, "GI": 0.2, "GG": 0.1, "JE": 0.1, "IM": 0.1, "VA": 0.5,
    "SM": 0.2, "MC": 0.3, "LI": 0.2, "AD": 0.2,
}
DEFAULT_PROMINENCE = 0.6

# Names that read with "the" in running text.
_WITH_THE = {
    "US", "GB", "NL", "PH", "AE", "CD", "CG", "CF", "DO", "BS", "GM", "MV", "MH", "SB", "KM",
    "SC", "KY", "VA", "CZ", "TC", "VG", "VI", "FK", "FO", "CK", "BQ",
}
_SHORT_NAMES = {"US": "United States", "GB": "United Kingdom"}


def _bump(t: np.ndarray, centre: float, width: float) -> np.ndarray:
    return np.exp(-0.5 * ((t - centre) / width) ** 2)


def _rise(t: np.ndarray, centre: float, width: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(t - centre) / width))


def _theme_curves(days: np.ndarray) -> dict[str, np.ndarray]:
    """Relative daily weight of each theme among tagged articles (days since FIRST_DAY)."""
    dates = np.datetime64(FIRST_DAY, "D") + days
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day_of_month = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    start_of_year = dates.astype("datetime64[Y]").astype("datetime64[D]")
    t = year + (dates - start_of_year).astype(np.int64) / 365.25
    hrc_session = np.select(
        [np.isin(month, (3, 6, 9)), np.isin(month, (2, 7, 10))], [3.5, 1.4], default=0.7
    )
    june_fourth = ((month == 6) & (day_of_month <= 6)).astype(float)
    after_2020 = (t >= 2020.1).astype(float)
    return {
        "united-front": 0.5 + 0.7 * _rise(t, 2017.2, 0.3) + 14.0 * _bump(t, 2018.2, 0.09),
        "confucius-institutes": (0.8 + 3.2 * _bump(t, 2019.9, 0.6))
        * (1 - 0.4 * _rise(t, 2022.0, 0.5)),
        "party-training": np.full(t.shape, 1.2),
        "elite-capture": 0.5 + 0.8 * _rise(t, 2017.5, 0.5),
        "state-media": 1.0 + 1.0 * _bump(t, 2017.0, 0.8),
        "media-partnerships": 0.6 + 0.5 * _rise(t, 2016.0, 1.0),
        "external-propaganda": 0.8 + 1.6 * _bump(t, 2020.5, 0.6) + 0.4 * _rise(t, 2019.5, 0.5),
        "censorship": 1.0 + 3.0 * june_fourth + 1.5 * _bump(t, 2020.1, 0.15)
        + 1.2 * _bump(t, 2019.6, 0.3),
        "china-model": 0.7 + 1.0 * _bump(t, 2017.85, 0.4) + 0.3 * _rise(t, 2021.0, 0.5),
        "un-human-rights": (0.5 + 0.4 * _rise(t, 2017.0, 1.0)) * hrc_session,
        "un-influence": 0.6 + 0.9 * _bump(t, 2020.0, 0.9),
        "belt-and-road": 1.8 * _rise(t, 2013.8, 0.25)
        * (1 + 1.5 * _bump(t, 2017.4, 0.7) + 0.8 * _bump(t, 2019.3, 0.4))
        * (1 - 0.4 * _rise(t, 2021.0, 0.7)),
        "digital-silk-road": 0.1 + 1.0 * _rise(t, 2018.5, 0.8) + 1.0 * _bump(t, 2019.5, 0.5),
        "vaccine-diplomacy": after_2020 * (0.05 + 9.0 * _bump(t, 2021.35, 0.3)),
        "countermeasures": 0.3 + 1.5 * _rise(t, 2017.8, 0.5) + 1.0 * _bump(t, 2018.4, 0.2)
        + 0.5 * _bump(t, 2020.6, 0.3),
    }


def _volume(days: np.ndarray) -> np.ndarray:
    """Relative number of articles published on each day: growth, weekdays, seasons, events."""
    dates = np.datetime64(FIRST_DAY, "D") + days
    weekday = (days + FIRST_DAY.weekday()) % 7  # 0 = Monday
    month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day_of_month = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    t = days / 365.25
    weekday_factor = np.array([1.1, 1.15, 1.15, 1.1, 1.0, 0.55, 0.5])[weekday]
    holidays = (month == 12) & (day_of_month >= 24)
    season = np.where(month == 8, 0.85, 1.0) * np.where(holidays, 0.6, 1.0)
    covid = 1 + 0.3 * _bump(t, 8.2, 0.15)
    return np.exp(0.11 * t) * weekday_factor * season * covid


# -- titles and summaries --------------------------------------------------------------------------

# {country} is the article's first country (capitalised at the start), {region} its region.
TITLES: dict[str, tuple[str, ...]] = {
    "united-front": (
        "Diaspora associations in {country} face questions over ties to Beijing",
        "Lawmakers in {country} ask who funds a new friendship council",
        "Business council with United Front links courts officials in {country}",
        "[Analysis] Friendship associations & the United Front in {country}",
        "Community leaders in {country} describe pressure from consular officials",
        "How the United Front Work Department reaches students in {country}",
        "Report maps overseas networks across {region}",
        "{country} donor's links to Beijing-backed groups come under scrutiny",
    ),
    "confucius-institutes": (
        "University in {country} to close its Confucius Institute",
        "Confucius Institute (孔子学院) at {country} university to close at year's end",
        "Academics in {country} debate funding for Confucius Classrooms",
        "Review of Confucius Institutes in {country} finds gaps in oversight",
        "{country} schools weigh Mandarin programmes funded from Beijing",
        "Confucius Institutes across {region}: who funds them and what they teach",
        "New Confucius Institute opens in {country} amid student protest",
    ),
    "party-training": (
        "Officials from {country} complete governance course in Beijing",
        "Ruling party cadres from {country} study 'Chinese experience' at party school",
        "New party school in {country} built with Chinese support",
        "Study tours for {region} party officials expand",
        "What {country} civil servants learn on training trips to China",
        "Youth wing of {country} ruling party signs exchange agreement",
    ),
    "elite-capture": (
        "Former minister in {country} joins board of Chinese state firm",
        "Donations to {country} political parties traced to businessman with Beijing ties",
        "Think tank in {country} quietly funded by Chinese company, filings show",
        "Ex-officials in {region} take advisory roles with Chinese conglomerates",
        "Senator in {country} faces inquiry over sponsored travel",
    ),
    "state-media": (
        "Chinese state broadcaster opens new bureau in {country}",
        "Q&A: what a state broadcaster's new {region} hub means for local newsrooms",
        "Satellite TV deal brings Chinese channels to villages in {country}",
        "State media push in {country}: more bureaus, more local hires",
        "CGTN expands programming for audiences in {region}",
        "Regulator in {country} reviews licence of Chinese state channel",
        "Chinese state media recruits journalists in {country}",
    ),
    "media-partnerships": (
        "Newspaper in {country} signs content-sharing deal with Xinhua",
        "Paid supplements from Chinese state media appear in {country} dailies",
        "Journalists from {country} return from fellowship in Beijing",
        "Media forum in {region} ends with joint declaration on 'positive reporting'",
        "Broadcaster in {country} airs co-produced documentary series",
    ),
    "external-propaganda": (
        "Network of fake accounts targeted {country} audiences, researchers say",
        "Chinese diplomats in {country} step up social media campaign",
        "'Wolf warrior' posts by embassy in {country} draw official protest",
        "Coordinated messaging on {country} elections traced to inauthentic accounts",
        "Influencers in {region} paid to promote Beijing's narratives, report finds",
        "Ambassador's op-ed in {country} newspaper sparks debate",
    ),
    "censorship": (
        "Film festival in {country} pulls documentary after complaints [updated]",
        "Publisher in {country} removes maps after pressure from Beijing",
        "Critics of Beijing in {country} report harassment online",
        "App stores in {country} pressed to remove apps at China's request",
        "Self-censorship worries academics in {country}",
        "Tiananmen anniversary vigil in {country} draws counter-protesters",
        "Exhibition in {country} cancelled after embassy objects",
    ),
    "china-model": (
        "Leaders in {country} praise 'Chinese path' to development",
        "Development model debate: {country} looks east",
        "Forum in Beijing pitches state-led growth to {region}",
        "Is the China Model winning admirers in {country}?",
        "{country} adopts Chinese-style special economic zones",
        "Officials in {region} cite China's poverty-reduction record",
    ),
    "un-human-rights": (
        "{country} joins statement backing China at the Human Rights Council",
        "Human Rights Council: {country} abstains on Xinjiang vote",
        "“Win-win cooperation” resolution divides delegations in Geneva",
        "NGOs say UN accreditation blocked for groups critical of Beijing",
        "{country} votes with China as Human Rights Council session closes",
        "Funding for UN human rights office squeezed, diplomats say",
        "Joint letter on Xinjiang splits {region} delegations",
    ),
    "un-influence": (
        "China-backed candidate wins top post at UN agency; {country} voted in favour",
        "{country} and China align on internet governance at UN body",
        "UN agency election: how {region} delegations voted",
        "Chinese nationals now head several UN bodies, analysis shows",
        "Standards body adopts Chinese proposal; {country} raises concerns",
    ),
    "belt-and-road": (
        "{country} signs Belt and Road memorandum",
        "Chinese-built railway opens in {country}",
        "Port deal in {country} raises debt concerns",
        "Belt and Road projects in {country} stall as loans are renegotiated",
        "Belt & Road forum: leaders from {region} line up new deals",
        "Highway financed by Chinese loans opens in {country}",
        "{country} seeks relief on Chinese infrastructure loans",
    ),
    "digital-silk-road": (
        "Huawei to build 5G network in {country}",
        "Safe-city surveillance system installed in {country} capital",
        "Undersea cable to link {country} with Chinese-built network",
        "{country} data centre deal with Chinese firm draws scrutiny",
        "Digital Silk Road: {region} governments weigh Chinese telecoms bids",
    ),
    "vaccine-diplomacy": (
        "First shipment of Chinese vaccines arrives in {country}",
        "{country} turns to Sinovac as other supplies lag",
        "Vaccine donations to {country} come with a message",
        "Chinese vaccine diplomacy in {region}: doses delivered and promised",
        "Health officials in {country} review efficacy data for Chinese vaccines",
        "Mask and ventilator donations to {country} feted on state television",
    ),
    "countermeasures": (
        "{country} passes foreign interference law",
        "{country} sets up register of foreign agents",
        "Universities in {country} ordered to report foreign funding",
        "{country} tightens screening of Chinese investment",
        "Intelligence chief in {country} warns of influence operations",
        "Governments in {region} compare notes on countering foreign interference",
    ),
    "": (
        "Central bank in {country} holds interest rates steady",
        "Floods displace thousands in {country}",
        "{country} election: what to watch",
        "Parliament in {country} passes budget after long debate",
        "{country} signs trade agreement with neighbours",
        "Tourism to {country} recovers",
        "Heatwave strains power grid in {country}",
        "Court in {country} rules on land dispute",
        "Teachers' strike in {country} enters second week",
        "Start-ups in {country} draw record investment",
        "Leaders from {region} meet on climate finance",
        "Football: {country} qualifies for regional final",
        "Drought threatens harvest in {country}",
        "Protesters in {country} demand lower fuel prices",
    ),
}

# Outlets in other languages use a few titles per group of themes.
FOREIGN_TITLES: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "influence-networks": (
            "{country} : des cadres du parti formés à Pékin",
            "{country} : l'Institut Confucius ferme ses portes",
        ),
        "media-and-information": (
            "{country} : les médias d'État chinois ouvrent un nouveau bureau",
            "{country} : un documentaire retiré après des plaintes",
        ),
        "governance-narratives": ("{country} : le « modèle chinois » séduit des dirigeants",),
        "multilateral-arena": ("{country} : vote au Conseil des droits de l'homme",),
        "economic-statecraft": (
            "{country} : un nouveau chemin de fer financé par la Chine",
            "{country} : arrivée des premiers vaccins chinois",
        ),
        "responses": ("{country} : une loi contre l'ingérence étrangère",),
        "": ("{country} : la banque centrale maintient ses taux", "{country} : inondations"),
    },
    "es": {
        "influence-networks": (
            "{country}: funcionarios viajan a Pekín para cursos de gobernanza",
            "{country}: universidad cierra su Instituto Confucio",
        ),
        "media-and-information": (
            "{country}: medios estatales chinos firman acuerdo de contenidos",
            "{country}: cuentas falsas difunden mensajes de Pekín",
        ),
        "governance-narratives": ("{country}: el «modelo chino» gana adeptos",),
        "multilateral-arena": ("{country}: voto en el Consejo de Derechos Humanos",),
        "economic-statecraft": (
            "{country}: préstamos chinos para un nuevo puerto",
            "{country}: llegan las primeras vacunas chinas",
        ),
        "responses": ("{country}: nueva ley sobre injerencia extranjera",),
        "": ("{country}: el banco central mantiene las tasas", "{country}: elecciones"),
    },
    "pt": {
        "influence-networks": ("{country}: universidade encerra Instituto Confúcio",),
        "media-and-information": ("{country}: mídia estatal chinesa amplia presença",),
        "governance-narratives": ("{country}: o «modelo chinês» em debate",),
        "multilateral-arena": ("{country}: votação no Conselho de Direitos Humanos",),
        "economic-statecraft": (
            "{country}: ferrovia financiada pela China é inaugurada",
            "{country}: chegam as primeiras vacinas chinesas",
        ),
        "responses": ("{country}: nova lei contra interferência estrangeira",),
        "": ("{country}: banco central mantém os juros", "{country}: eleições"),
    },
    "de": {
        "influence-networks": ("{country}: Universität schließt Konfuzius-Institut",),
        "media-and-information": ("{country}: Chinesischer Staatssender eröffnet Büro",),
        "governance-narratives": ("{country}: Debatte über das „chinesische Modell“",),
        "multilateral-arena": ("{country}: Abstimmung im UN-Menschenrechtsrat",),
        "economic-statecraft": ("{country}: Neue Seidenstraße – Hafenprojekt in der Kritik",),
        "responses": ("{country}: Gesetz gegen ausländische Einflussnahme",),
        "": ("{country}: Zentralbank lässt Zinsen unverändert", "{country}: Hochwasser"),
    },
    "zh": {
        "influence-networks": ("{country}：孔子学院将于年底关闭", "{country}：统战团体受到审查"),
        "media-and-information": ("{country}：中国官方媒体开设新分社",),
        "governance-narratives": ("{country}：“中国模式”引发讨论",),
        "multilateral-arena": ("{country}：人权理事会投票结果",),
        "economic-statecraft": ("{country}：“一带一路”铁路通车", "{country}：首批中国疫苗运抵"),
        "responses": ("{country}：通过反外国干预法",),
        "": ("{country}：央行维持利率不变", "{country}：洪灾"),
    },
}

SUMMARIES: dict[str, tuple[str, ...]] = {
    "united-front": (
        "Reporting on groups in {country} linked to the United Front Work Department.",
        "How community and business networks in {region} connect to Beijing's United Front.",
    ),
    "confucius-institutes": (
        "Confucius Institutes in {country}: funding, teaching and oversight.",
        "Universities in {region} reconsider their Confucius Institutes.",
    ),
    "party-training": (
        "Officials and party cadres from {country} trained in China's governance methods.",
        "Party-to-party ties between Beijing and {region} deepen through training.",
    ),
    "elite-capture": (
        "Ties between political and business elites in {country} and Chinese interests.",
    ),
    "state-media": (
        "Chinese state media broaden their reach to audiences in {country}.",
        "State broadcasters expand across {region}.",
    ),
    "media-partnerships": (
        "Agreements between outlets in {country} and Chinese state media.",
    ),
    "external-propaganda": (
        "Messaging campaigns aimed at audiences in {country}.",
        "Researchers track coordinated influence campaigns in {region}.",
    ),
    "censorship": (
        "Pressure on speech about China reaches {country}.",
        "Censorship and self-censorship across {region}.",
    ),
    "china-model": (
        "State-led development is promoted to {country} as a model.",
    ),
    "un-human-rights": (
        "How {country} voted on China-related human-rights texts at the UN.",
        "Human-rights advocacy at the UN and the positions of {region} states.",
    ),
    "un-influence": (
        "Votes, posts and standards in international institutions; the role of {country}.",
    ),
    "belt-and-road": (
        "Belt and Road lending and construction in {country}.",
        "Infrastructure finance from China across {region}.",
    ),
    "digital-silk-road": (
        "Chinese telecoms and surveillance technology in {country}.",
    ),
    "vaccine-diplomacy": (
        "Chinese vaccine and medical donations to {country}.",
        "Vaccine supplies from China across {region}.",
    ),
    "countermeasures": (
        "{country} responds to foreign influence operations.",
        "How governments in {region} counter foreign interference.",
    ),
    "": (
        "News from {country}.",
        "Politics and the economy in {country}.",
        "Regional news from {region}.",
    ),
}
FOREIGN_SUMMARIES = {
    "fr": ("Actualité : {country}.",),
    "es": ("Noticias de {country}.",),
    "pt": ("Notícias: {country}.",),
    "de": ("Nachrichten: {country}.",),
    "zh": ("{country}新闻。",),
}


# -- the lookup tables the generator indexes into --------------------------------------------------


@dataclass(frozen=True)
class _Tables:
    """Everything the generator indexes into, built once from the bundled files."""

    theme_ids: list[str]  # every theme of the taxonomy; article themes index this
    children: np.ndarray  # theme indices that carry trends (leaves), in curve order
    parent_of: np.ndarray  # theme index → parent theme index (itself for a top-level theme)
    siblings: np.ndarray  # leaf × leaf: True where the two share a parent
    theme_weight: np.ndarray  # day × leaf theme weights
    theme_cum: np.ndarray  # the same, cumulative along each day
    day_cum: np.ndarray  # cumulative daily volume
    countries: list[str]
    country_names: list[str]  # as used in titles ("the Philippines")
    country_region: np.ndarray  # country index → region index
    region_countries: list[np.ndarray]  # region index → its country indices with weight > 0
    region_country_cum: list[np.ndarray]
    country_cum: np.ndarray  # global cumulative country weights
    cn: int
    affinity: np.ndarray  # (len(children) + 1) × regions; the last row is untagged articles
    tone_mean: np.ndarray  # same rows
    outlet_region: np.ndarray
    outlet_cum: np.ndarray
    region_outlets: list[np.ndarray]
    region_outlet_cum: list[np.ndarray]
    title_start: np.ndarray  # (language, row) → first template, row as in `affinity`
    title_count: np.ndarray
    titles: list[str]
    summary_start: np.ndarray
    summary_count: np.ndarray
    summaries: list[str]


def _cumulative(weights: np.ndarray) -> np.ndarray:
    # Rounded so that tiny floating-point differences between machines cannot move a draw.
    return np.cumsum(np.round(np.asarray(weights, dtype=np.float64), 9), axis=-1)


def _draw(cum: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Indices drawn from one cumulative weight vector for uniform numbers `u`."""
    return np.minimum(np.searchsorted(cum, u * cum[-1], side="right"), len(cum) - 1)


def _draw_rows(cum_rows: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One index per row, each drawn from that row's cumulative weights."""
    target = u * cum_rows[:, -1]
    return np.minimum((cum_rows <= target[:, None]).sum(axis=1), cum_rows.shape[1] - 1)


def _display_name(code: str, name: str) -> str:
    name = _SHORT_NAMES.get(code, name)
    return f"the {name}" if code in _WITH_THE else name


# Regions as they read in running text.
_REGION_TEXT = {
    "Middle East & North Africa": "the Middle East and North Africa",
    "Latin America & Caribbean": "Latin America and the Caribbean",
    "Pacific": "the Pacific",
}


def _fill(template: str, country: str, region: str) -> str:
    text = template.replace("{region}", region)
    if text.startswith("{country}"):
        country = country[:1].upper() + country[1:]
    return text.replace("{country}", country)


@cache
def _tables() -> _Tables:
    themes = load_themes()
    theme_ids = [t.id for t in themes]
    index = {tid: i for i, tid in enumerate(theme_ids)}
    leaves = [tid for tid in REGION_AFFINITY if tid in index]
    missing = set(REGION_AFFINITY) - set(index)
    if missing:
        raise ValueError(f"themes.toml lacks the demo themes {sorted(missing)}")
    parent_of = np.array([index[t.parent] if t.parent else i for i, t in enumerate(themes)])
    leaf_parents = parent_of[[index[tid] for tid in leaves]]
    siblings = leaf_parents[:, None] == leaf_parents[None, :]

    all_days = np.arange((LAST_DAY - FIRST_DAY).days + 1)
    curves = _theme_curves(all_days)
    theme_weight = np.round(np.stack([curves[tid] for tid in leaves], axis=1), 9)
    day_cum = _cumulative(_volume(all_days))

    region_map = load_region_map()
    countries = region_map["country"].to_list()
    region_index = {r: i for i, r in enumerate(REGIONS)}
    country_region = np.array([region_index[r] for r in region_map["region"]])
    weights = np.array([PROMINENCE.get(c, DEFAULT_PROMINENCE) for c in countries], dtype=float)
    region_countries, region_country_cum = [], []
    for r in range(len(REGIONS)):
        members = np.flatnonzero((country_region == r) & (weights > 0))
        region_countries.append(members)
        region_country_cum.append(_cumulative(weights[members]))
    names = [_display_name(c, n) for c, n in zip(countries, region_map["name"], strict=True)]

    rows = [*leaves, ""]
    affinity = np.array([REGION_AFFINITY.get(r, GENERAL_AFFINITY) for r in rows], dtype=float)
    tone = np.array([TONE_MEAN.get(r, GENERAL_TONE) for r in rows])

    outlet_region = np.array([country_region[countries.index(o.country)] for o in OUTLETS])
    outlet_weight = np.array([o.weight for o in OUTLETS])
    region_outlets, region_outlet_cum = [], []
    for r in range(len(REGIONS)):
        members = np.flatnonzero(outlet_region == r)
        region_outlets.append(members)
        region_outlet_cum.append(_cumulative(outlet_weight[members]))

    group_of = {tid: theme_ids[parent_of[index[tid]]] for tid in leaves} | {"": ""}
    title_start = np.zeros((len(LANGUAGES), len(rows)), dtype=np.int64)
    title_count = np.zeros_like(title_start)
    summary_start = np.zeros_like(title_start)
    summary_count = np.zeros_like(title_start)
    titles: list[str] = []
    summaries: list[str] = []
    for li, lang in enumerate(LANGUAGES):
        for ri, row in enumerate(rows):
            if lang == "en":
                found, said = TITLES[row], SUMMARIES[row]
            else:
                found, said = FOREIGN_TITLES[lang][group_of[row]], FOREIGN_SUMMARIES[lang]
            title_start[li, ri], title_count[li, ri] = len(titles), len(found)
            titles.extend(found)
            summary_start[li, ri], summary_count[li, ri] = len(summaries), len(said)
            summaries.extend(said)

    return _Tables(
        theme_ids=theme_ids,
        children=np.array([index[t] for t in leaves]),
        parent_of=parent_of,
        siblings=siblings,
        theme_weight=theme_weight,
        theme_cum=_cumulative(theme_weight),
        day_cum=day_cum,
        countries=countries,
        country_names=names,
        country_region=country_region,
        region_countries=region_countries,
        region_country_cum=region_country_cum,
        country_cum=_cumulative(weights),
        cn=countries.index("CN"),
        affinity=affinity,
        tone_mean=tone,
        outlet_region=outlet_region,
        outlet_cum=_cumulative(outlet_weight),
        region_outlets=region_outlets,
        region_outlet_cum=region_outlet_cum,
        title_start=title_start,
        title_count=title_count,
        titles=titles,
        summary_start=summary_start,
        summary_count=summary_count,
        summaries=summaries,
    )


@cache
def _composed(kind: str) -> pa.Array:
    """Every template filled with every country: index = template × countries + country."""
    tables = _tables()
    templates = tables.titles if kind == "title" else tables.summaries
    regions = [_REGION_TEXT.get(REGIONS[r], REGIONS[r]) for r in tables.country_region]
    return pa.array(
        [
            _fill(template, name, region)
            for template in templates
            for name, region in zip(tables.country_names, regions, strict=True)
        ],
        pa.string(),
    )


# -- generation ------------------------------------------------------------------------------------


def _timestamps(n: int, seed: int) -> np.ndarray:
    """`n` publication times (microseconds since the epoch, UTC), sorted."""
    tables = _tables()
    rng = np.random.default_rng([seed, 0])
    days = _draw(tables.day_cum, rng.random(n))
    # Times of day cluster around the working day in Europe and Asia; never exactly midnight,
    # which the corpus file reserves for records that carry only a date.
    seconds = np.mod(rng.normal(10.5 * 3600, 4.5 * 3600, n), 86400).astype(np.int64)
    seconds = np.clip(seconds, 60, 86340)
    epoch_day = (np.datetime64(FIRST_DAY, "D") - np.datetime64("1970-01-01", "D")).astype(np.int64)
    micros = ((epoch_day + days) * 86400 + seconds) * 1_000_000
    micros.sort()
    if n >= 2:  # the corpus spans the whole period: its first and last days are never empty
        day_us = 86_400_000_000
        last = (LAST_DAY - FIRST_DAY).days
        micros[0] = (epoch_day + 0) * day_us + micros[0] % day_us
        micros[-1] = (epoch_day + last) * day_us + micros[-1] % day_us
        micros.sort()
    return micros


def _seed_table() -> pa.Table:
    record = dict(SEED_RECORD)
    published = np.datetime64(str(record["published"]), "us").astype(np.int64)
    columns = {name: [record.get(name)] for name in CANONICAL_SCHEMA.names}
    columns["published"] = [int(published)]
    columns["line"] = [0]
    arrays = [
        pa.array(columns[f.name], pa.int64()).cast(f.type)
        if f.name == "published"
        else pa.array(columns[f.name], f.type)
        for f in CANONICAL_SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=CANONICAL_SCHEMA)


def _list_array(matrix: np.ndarray, keep: np.ndarray, labels: list[str]) -> pa.Array:
    """Rows of `matrix` (indices into `labels`) where `keep`, as an Arrow list<string> column."""
    lengths = keep.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    values = pa.DictionaryArray.from_arrays(
        pa.array(matrix[keep].astype(np.int32)), pa.array(labels, pa.string())
    ).cast(pa.string())
    return pa.ListArray.from_arrays(pa.array(offsets), values)


def _distinct_columns(matrix: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """`keep` with later repeats of a value in the same row turned off."""
    keep = keep.copy()
    for j in range(1, matrix.shape[1]):
        for k in range(j):
            keep[:, j] &= ~(keep[:, k] & (matrix[:, j] == matrix[:, k]))
    return keep


def _synthetic(micros: np.ndarray, lines: np.ndarray, seed: int, batch_no: int) -> pa.Table:
    """Synthetic articles for the given publication times and line numbers."""
    tables = _tables()
    rng = np.random.default_rng([seed, 1, batch_no])
    m = len(micros)
    n_leaves = len(tables.children)
    days = micros // 86_400_000_000 - (
        np.datetime64(FIRST_DAY, "D") - np.datetime64("1970-01-01", "D")
    ).astype(np.int64)
    year = 2012 + days / 365.25

    # Themes: a quarter untagged; otherwise a primary theme by the day's trends, then up to three
    # more: often a sibling of the primary, sometimes its parent, else another of the day's themes.
    tagged = rng.random(m) >= UNTAGGED_SHARE
    day_cum = tables.theme_cum[days]
    primary_leaf = _draw_rows(day_cum, rng.random(m))
    row = np.where(tagged, primary_leaf, n_leaves)  # row into affinity/tone/templates
    n_themes = 1 + _draw(_cumulative([0.45, 0.30, 0.17, 0.08]), rng.random(m))
    theme_matrix = np.empty((m, 4), dtype=np.int64)
    primary = tables.children[primary_leaf]
    theme_matrix[:, 0] = primary
    # Siblings by the day's weights too, so that no theme appears before its time.
    sibling_cum = np.cumsum(tables.theme_weight[days] * tables.siblings[primary_leaf], axis=1)
    for j in range(1, 4):
        kind = rng.random(m)
        sibling = tables.children[_draw_rows(sibling_cum, rng.random(m))]
        other = tables.children[_draw_rows(day_cum, rng.random(m))]
        theme_matrix[:, j] = np.select(
            [kind < 0.4, kind < 0.45], [sibling, tables.parent_of[primary]], default=other
        )
    theme_keep = (np.arange(4)[None, :] < n_themes[:, None]) & tagged[:, None]
    theme_keep = _distinct_columns(theme_matrix, theme_keep)

    # Countries: a region by the theme's affinity (the Pacific's United Front story grows from
    # 2017), a country in it by prominence, then up to three more: China, a neighbour, anyone.
    affinity = tables.affinity[row]
    pacific = REGIONS.index("Pacific")
    uf_boom = (row == list(REGION_AFFINITY).index("united-front")) & (year >= 2017) & (
        year < 2019.5
    )
    affinity[uf_boom, pacific] *= 2.5
    region = _draw_rows(_cumulative(affinity), rng.random(m))
    country_matrix = np.empty((m, 4), dtype=np.int64)
    country_matrix[:, 0] = _in_region(region, rng.random(m), tables)
    n_countries = 1 + _draw(_cumulative([0.45, 0.30, 0.17, 0.08]), rng.random(m))
    for j in range(1, 4):
        kind = rng.random(m)
        neighbour = _in_region(region, rng.random(m), tables)
        anyone = _draw(tables.country_cum, rng.random(m))
        china_share = np.where(tagged, 0.4, 0.08)
        country_matrix[:, j] = np.select(
            [kind < china_share, kind < china_share + 0.35], [tables.cn, neighbour],
            default=anyone,
        )
    country_keep = _distinct_columns(
        country_matrix, np.arange(4)[None, :] < n_countries[:, None]
    )

    # Outlet: often one based in the article's region, else any, by reach.
    outlet = _draw(tables.outlet_cum, rng.random(m))
    local = rng.random(m) < 0.55
    u = rng.random(m)
    for r in range(len(REGIONS)):
        members = tables.region_outlets[r]
        pick = local & (region == r)
        if len(members) and pick.any():
            outlet[pick] = members[_draw(tables.region_outlet_cum[r], u[pick])]
    language = np.array([LANGUAGES.index(o.language) for o in OUTLETS])[outlet]

    first_country = country_matrix[:, 0]
    n_c = len(tables.countries)
    t_start = tables.title_start[language, row]
    template = t_start + (rng.random(m) * tables.title_count[language, row]).astype(np.int64)
    titles = _composed("title").take(pa.array(template * n_c + first_country))
    s_start = tables.summary_start[language, row]
    summary = s_start + (rng.random(m) * tables.summary_count[language, row]).astype(np.int64)
    summaries = _composed("summary").take(pa.array(summary * n_c + first_country))
    tone = np.round(np.clip(rng.normal(tables.tone_mean[row], 2.2), -10, 10), 2)

    ids = pl.Series("line", lines).cast(pl.String).str.zfill(8)
    frame = pl.DataFrame(
        {
            "id": ("demo-" + ids).to_arrow(),
            "outlet": outlet,
            "published": pa.array(micros, pa.timestamp("us", tz="UTC")),
        }
    )
    domains = pl.Series([o.domain for o in OUTLETS])
    urls = frame.select(
        pl.concat_str(
            [
                pl.lit("https://"),
                domains.gather(frame["outlet"]).alias("d"),
                pl.lit("/"),
                pl.col("published").dt.strftime("%Y/%m/%d"),
                pl.lit("/"),
                pl.col("id"),
            ]
        )
    ).to_series()
    names = pa.array([o.name for o in OUTLETS], pa.string())
    homes = pa.array([o.country for o in OUTLETS], pa.string())
    outlet_arr = pa.array(outlet)
    return pa.Table.from_arrays(
        [
            frame["id"].to_arrow(),
            urls.to_arrow().cast(pa.string()),
            titles,
            names.take(outlet_arr),
            pa.array(micros, pa.timestamp("us", tz="UTC")),
            _list_array(theme_matrix, theme_keep, tables.theme_ids),
            _list_array(country_matrix, country_keep, tables.countries),
            pa.nulls(m, pa.list_(pa.string())),
            homes.take(outlet_arr),
            pa.array(LANGUAGES, pa.string()).take(pa.array(language)),
            pa.array(tone, pa.float64()),
            summaries,
            pa.array(lines, pa.int64()),
        ],
        schema=CANONICAL_SCHEMA,
    )


def _in_region(region: np.ndarray, u: np.ndarray, tables: _Tables) -> np.ndarray:
    """A country of each article's region, by prominence."""
    out = np.empty(len(region), dtype=np.int64)
    for r in range(len(REGIONS)):
        pick = region == r
        if pick.any():
            out[pick] = tables.region_countries[r][_draw(tables.region_country_cum[r], u[pick])]
    return out


def generate(
    n_articles: int = DEFAULT_ARTICLES, seed: int = DEFAULT_SEED, batch_rows: int = BATCH_ROWS
) -> Iterator[pa.Table]:
    """The corpus as canonical Arrow batches in publication order; `line` is the article number.

    The real seed record is always one of the `n_articles`. Output depends on `n_articles` and
    `seed` only (not on `batch_rows`, which just sizes the batches).
    """
    if n_articles < 1:
        raise ValueError("the demo corpus needs at least one article")
    micros = _timestamps(n_articles - 1, seed)
    seed_micros = int(np.datetime64(str(SEED_RECORD["published"]), "us").astype(np.int64))
    seed_at = int(np.searchsorted(micros, seed_micros, side="left"))  # 0-based position
    chunk = BATCH_ROWS  # the unit of randomness: fixed, so batch_rows cannot change the output
    pending: list[pa.Table] = []
    pending_rows = 0
    for batch_no, start in enumerate(range(0, n_articles - 1, chunk)):
        part = micros[start:start + chunk]
        positions = np.arange(start, start + len(part))
        lines = positions + 1 + (positions >= seed_at)
        table = _synthetic(part, lines, seed, batch_no)
        if start <= seed_at < start + len(part) or (
            seed_at == n_articles - 1 and start + len(part) == n_articles - 1
        ):
            k = seed_at - start
            seed_row = _seed_table().set_column(
                CANONICAL_SCHEMA.get_field_index("line"), "line",
                pa.array([seed_at + 1], pa.int64()),
            )
            table = pa.concat_tables([table.slice(0, k), seed_row, table.slice(k)])
        pending.append(table)
        pending_rows += table.num_rows
        while pending_rows >= batch_rows:
            whole = pa.concat_tables(pending)
            yield whole.slice(0, batch_rows)
            rest = whole.slice(batch_rows)
            pending, pending_rows = [rest], rest.num_rows
    if n_articles == 1:
        seed_row = _seed_table().set_column(
            CANONICAL_SCHEMA.get_field_index("line"), "line", pa.array([1], pa.int64())
        )
        pending, pending_rows = [seed_row], 1
    if pending_rows:
        yield pa.concat_tables(pending).combine_chunks()


# -- the committed corpus file and the database ----------------------------------------------------

_JSON_FIELDS = [f.name for f in CANONICAL_SCHEMA if f.name not in ("line", "regions")]


def corpus_lines(n_articles: int = DEFAULT_ARTICLES, seed: int = DEFAULT_SEED) -> bytes:
    """The corpus as canonical JSON Lines (UTF-8), keys in the record's documented order.

    Synthetic records carry every field but `regions` (derived from the countries on import); the
    seed record is written as given, with only the fields it has and a date-only `published`.
    """
    seed_line = json.dumps(SEED_RECORD, ensure_ascii=False, separators=(",", ":")).encode()
    out = io.BytesIO()
    for batch in generate(n_articles, seed):
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        is_seed = frame["id"] == SEED_RECORD["id"]
        synthetic = frame.filter(~is_seed).with_columns(
            pl.col("published").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        buffer = io.BytesIO()
        synthetic.select(_JSON_FIELDS).write_ndjson(buffer)
        text = buffer.getvalue()
        if is_seed.any():
            k = int(is_seed.arg_max() or 0)
            lines = text.splitlines(keepends=True)
            text = b"".join(lines[:k]) + seed_line + b"\n" + b"".join(lines[k:])
        out.write(text)
    return out.getvalue()


def default_corpus_path() -> Path:
    """The committed demo corpus in the bundled sample data."""
    return sample_data_dir() / CORPUS_FILENAME


def write_demo_corpus(
    path: str | os.PathLike[str] | None = None,
    n_articles: int = DEFAULT_ARTICLES,
    seed: int = DEFAULT_SEED,
) -> Path:
    """Write the corpus as gzip-compressed JSON Lines, byte for byte the same on every run."""
    target = Path(path) if path is not None else default_corpus_path()
    data = corpus_lines(n_articles, seed)
    tmp = target.with_name(target.name + ".tmp")
    with tmp.open("wb") as raw, gzip.GzipFile(
        filename="", mode="wb", compresslevel=9, fileobj=raw, mtime=0
    ) as gz:
        gz.write(data)
    tmp.replace(target)
    return target


def build_sample_database(
    db_path: str | os.PathLike[str],
    n_articles: int = DEFAULT_ARTICLES,
    seed: int = DEFAULT_SEED,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Generate the corpus and load it through the ordinary staged import, in one transaction.

    `progress(stage, done, total)` is told of each batch generated, then of the final load.
    """
    with Staging() as staging:
        file_no = staging.begin_file(
            f"demo corpus ({n_articles:,} articles, seed {seed})", FORMAT_NAME
        )
        done = 0
        for batch in generate(n_articles, seed):
            staging.add(batch, file_no)
            done += batch.num_rows
            if progress is not None:
                progress("generating", done, n_articles)
        if progress is not None:
            progress("loading", 0, 1)
        result = staging.commit(db_path)
        if progress is not None:
            progress("loading", 1, 1)
    return result


if __name__ == "__main__":
    print(f"wrote {write_demo_corpus()}")
