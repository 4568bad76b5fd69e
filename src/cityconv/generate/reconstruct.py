"""Reconstructed response-level data for the City Conversation in Clubmoor.

The project's response-level records (survey answers, interview coding, per-post social media
statistics, workshop notes) were never published. What *was* published is a findings presentation,
"The City Conversation in Clubmoor" (Heseltine Institute, University of Liverpool, 2020-21; citation key
`clubmoor_slides_2021`). This module writes `data/clubmoor/`: tables that carry every published figure
and quote exactly, plus response-level records that are a **reconstruction**: invented records chosen
so that every published figure and statement holds. Nothing reconstructed may be presented as
published; each file and column says which it is (README.md and CODEBOOK.md in the output folder).

Published facts carried exactly (table `published_figures.csv`; each is re-derived from the records
and checked, and the run fails if any differs):
    targets 60 residents, 20 community researchers, 6 citizen focus groups, 2 community workshops;
    4 training sessions (February and early March 2020), 23 participants;
    48 survey responses over two months (April-May 2020);
    26 interviews (June-July 2020);
    6 Facebook posts (July-August 2020), average audience 942, 176 reactions, comments and shares in
    total including 25 comments;
    2 practitioner workshops (November 2020), 20 participants;
    1,906 participants in the citywide consultation of autumn 2019.
Published qualitative findings are encoded as claims in `cityconv.methods.claims` and checked too.

Assumptions of the reconstruction (all invented, none published):
- Survey demographics are fixed counts: age x sex as in `SURVEY_AGE_SEX` (23 of 48 respondents are
  women aged 35-64, against about a quarter of the ward's population aged 15+), ethnic group 45 White,
  1 Mixed/multiple, 2 prefer not to say (the ward is about 7.5% ethnic minority). Modes: 41 on-line,
  4 telephone, 3 paper, paper and telephone going preferentially to older respondents. 20 responses in
  April, 28 in May.
- Single-answer questions have fixed marginal counts (`SURVEY_SINGLE_ANSWERS`), shuffled across
  respondents: recommend yes 33 / no 8 / not sure 7; change in five years better 9 / same 29 / worse 5 /
  don't know 4 / blank 1; Covid-19 and community spirit more 31 / no different 10 / less 3 /
  don't know 3 / blank 1.
- Multi-response questions: fixed code counts for best things (`BEST_THINGS`, 46 answering) and things
  to improve (`IMPROVE`, 45 answering), at most three codes each, dealt at random with every answering
  respondent getting at least one. Preferred engagement methods (44 answering) are drawn per respondent
  with probabilities that depend on age (`METHOD_PROBABILITIES`): digital methods likelier for younger
  residents, postal, doorstep and meetings for older ones.
- Interviews: 14 survey respondents, 7 community researchers, 5 MyClubmoor board members; 13 in June,
  13 in July. Themes have fixed counts (`INTERVIEW_THEMES`) dealt at random across interviews.
- Training: sessions 1-2 in February and 3-4 in March 2020; 23 participants, each attending each
  session with probability 0.65 (at least one session each).
- Social media: three posts in July, three in August; audiences sum to 6 x 942 = 5,652 (so the mean is
  exactly the published average, which may itself have been rounded); 118 reactions and 33 shares are
  our split of the published 151 non-comment interactions; all three are shared across posts in
  proportion to audience.
- Practitioner workshops: the 20 participants split between the two workshops at random; each
  published practitioner finding is raised in one or both workshops.

Determinism: one `numpy.random.Generator` (PCG64) seeded with `seed` is consumed in a fixed order, and
files are written with the csv module (LF line ends, UTF-8, no BOM), so a run with the same seed
reproduces the files byte for byte (tests check the committed folder). A different seed gives a
different but equally consistent reconstruction.

Run: `python -m cityconv.generate.reconstruct data/clubmoor`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SOURCE_KEY = "clubmoor_slides_2021"
SOURCE_TITLE = (
    "The City Conversation in Clubmoor (findings presentation, Heseltine Institute for Public Policy, "
    "Practice and Place, University of Liverpool, 2020-21)"
)

LOC_OBJECTIVES = "Research objectives"
LOC_TRAINING = "Community researcher training"
LOC_DATA = "What data did we collect?"
LOC_RESIDENTS = "What did we find? (local residents)"
LOC_BEST = "Best things about Clubmoor, according to residents …"
LOC_CAN_DO = "What residents think they and public agencies can do …"
LOC_ENGAGEMENT = "What kinds of community engagement do residents want?"
LOC_SENSE_CHECK = "Sense check"
LOC_AGENCIES = "Public agencies engaging with communities"
LOC_BENEFITS = "The benefits of involving residents and communities …"


class ReconstructionError(RuntimeError):
    """The reconstruction does not reproduce a published figure or statement."""


# --------------------------------------------------------------------------------------------------
# Published facts (verbatim from the slides)

# figure_id, value, unit, description, source wording, slide heading
PUBLISHED_FIGURES: list[tuple[str, int, str, str, str, str]] = [
    ("target_residents_engaged", 60, "residents", "Target: residents to engage",
     "Engage 60 residents and introduce a different conversation with communities that focuses upon prevention and early intervention", LOC_OBJECTIVES),
    ("target_community_researchers", 20, "community researchers", "Target: community researchers to train",
     "Build local capacity through training 20 community researchers", LOC_OBJECTIVES),
    ("target_focus_groups", 6, "focus groups", "Target: citizen focus groups to deliver",
     "Deliver 6 citizen focus groups and 2 community workshops", LOC_OBJECTIVES),
    ("target_community_workshops", 2, "workshops", "Target: community workshops to deliver",
     "Deliver 6 citizen focus groups and 2 community workshops", LOC_OBJECTIVES),
    ("training_sessions", 4, "sessions", "Community researcher training sessions held (February and early March 2020)",
     "Four workshop training sessions were held in February and early March 2020", LOC_TRAINING),
    ("training_participants", 23, "participants", "Participants in the training sessions",
     "In total 23 participants attended.", LOC_TRAINING),
    ("survey_responses", 48, "responses", "Survey responses (April-May 2020)",
     "48 responses over two months.", LOC_DATA),
    ("survey_months", 2, "months", "Months the survey ran",
     "48 responses over two months.", LOC_DATA),
    ("interviews", 26, "interviews", "Interviews (June-July 2020)",
     "26 interviews, with sample comprising mixture of survey respondents, community researchers, and MyClubmoor board members.", LOC_DATA),
    ("social_media_posts", 6, "posts", "Posts on the MyClubmoor Facebook page (July-August 2020)",
     "6 posts on the MyClubmoor Facebook page, with average audience of 942 people.", LOC_DATA),
    ("social_media_average_audience", 942, "people per post", "Average audience of the posts",
     "6 posts on the MyClubmoor Facebook page, with average audience of 942 people.", LOC_DATA),
    ("social_media_interactions", 176, "reactions, comments and shares", "Reactions, comments and shares in total",
     "176 reactions, comments and shares in total (including 25 comments).", LOC_DATA),
    ("social_media_comments", 25, "comments", "Comments in total",
     "176 reactions, comments and shares in total (including 25 comments).", LOC_DATA),
    ("practitioner_workshops", 2, "workshops", "Practitioner workshops (November 2020)",
     "Two practitioner workshops were held in November 2020 to consider public engagement methods.", LOC_AGENCIES),
    ("practitioner_participants", 20, "participants", "Participants from public and social agencies in the practitioner workshops",
     "In total 20 participants from a cross section of public and social agencies working in the city attended.", LOC_AGENCIES),
    ("citywide_participants", 1906, "participants", "Participants in the citywide consultation, autumn 2019",
     "a citywide consultation in Autumn 2019, which had 1,906 participants", LOC_SENSE_CHECK),
]

# quote_id, text (verbatim; PDF line breaks removed), speaker role, basis of role, theme, slide heading
# Published findings of the practitioner workshops, partners, implications and legacy, each
# summarised in our own words from the slide named in `location` (not reconstructed).
FINDINGS_STATEMENTS: list[tuple[str, str, str, str]] = [
    ('F01', 'practitioners',
     'Discuss what had worked well when engaging with residents, and what the challenges had been.',
     'Public agencies engaging with communities'),
    ('F02', 'practitioners',
     'Find ways to build stronger links between local people and public bodies, so that services focus on what matters most to people.',
     'Public agencies engaging with communities'),
    ('F03', 'practitioners',
     'Learn from the Covid-19 outbreak when planning how to engage communities in future.',
     'Public agencies engaging with communities'),
    ('F04', 'practitioners',
     'Bring together what this means for public policy and practice.',
     'Public agencies engaging with communities'),
    ('F05', 'partners',
     "The project was a chance to test whether the community's views and needs were changing. It matters to keep learning about the local community.",
     'What did we find? (project partners)'),
    ('F06', 'partners',
     "The project strengthened MyClubmoor's links with Liverpool City Council and the University of Liverpool. It also drew MyClubmoor into more of the issues that matter to the community.",
     'What did we find? (project partners)'),
    ('F07', 'partners',
     "MyClubmoor valued a partnership in which all were equal (a 'partnership of equals'), and the strong sense of acting and engaging together.",
     'What did we find? (project partners)'),
    ('F08', 'partners',
     'The project fitted with other local projects: Good Neighbour, Clickmoor and Incredible Edible.',
     'What did we find? (project partners)'),
    ('F09', 'partners',
     'Local leaders in the community mattered in directing Covid-19 support.',
     'What did we find? (project partners)'),
    ('F10', 'partners',
     'The project is a strong base for working together in future. That work can build on what the first community participants learned and on their enthusiasm (the idea of a Community Research Hub).',
     'What did we find? (project partners)'),
    ('F11', 'partners',
     "Liverpool's People Power Partnership offers room for wider engagement, so that communities can shape public services.",
     'What did we find? (project partners)'),
    ('F12', 'implications',
     "Liverpool's past public engagement, and what was done during the pandemic, show how much resident involvement matters to community development.",
     'Implications for policy and practice'),
    ('F13', 'implications',
     "Covid-19 badly disrupted the project's plans. But the experience of working together bodes well for the future.",
     'Implications for policy and practice'),
    ('F14', 'implications',
     'The project showed the value of making knowledge together and of working in partnership. It showed what lived experience and different points of view add to making public policy.',
     'Implications for policy and practice'),
    ('F15', 'implications',
     'Bringing more public agencies in earlier would have made the research better known to partners before the pandemic. It might also have given more ideas for changing the project as things changed.',
     'Implications for policy and practice'),
    ('F16', 'implications',
     'A shared core dataset on Clubmoor households, used across public agencies, would have helped. It would have shown who lives in the community and helped to target recruitment and research.',
     'Implications for policy and practice'),
    ('F17', 'implications',
     'A volunteer group of community researchers could help many public agencies in Liverpool that want to do research and engagement.',
     'Implications for policy and practice'),
    ('F18', 'legacy',
     "The project confirmed the value of starting from the community's strengths. This approach gathers local insight and lived experience to inform public policy.",
     'Leaving a sustainable legacy'),
    ('F19', 'legacy',
     'Covid-19 stopped many of the more creative ways for the community to take part that had been planned. But the planned model of engagement can still be used in future.',
     'Leaving a sustainable legacy'),
    ('F20', 'legacy',
     "Changing the research during the pandemic was hard. Even so, MyClubmoor's engagement team learned new skills by taking part.",
     'Leaving a sustainable legacy'),
    ('F21', 'legacy',
     'The last phase of the project focused on what would last. This included informing a new MyClubmoor Plan, to turn its work towards recovery from Covid-19.',
     'Leaving a sustainable legacy'),
    ('F22', 'legacy',
     'The last phase also included developing a toolkit for community-led research, for communities and public agencies to use.',
     'Leaving a sustainable legacy'),
    ('F23', 'legacy',
     "Liverpool's People Power Partnership can help public, academic and community groups plan and work together. That builds research skills and the ability to make knowledge for public policy together.",
     'Leaving a sustainable legacy'),
]

QUOTES: list[tuple[str, str, str, str, str, str]] = [
    ("Q01", "The thing that I like the most is the green space, and like I say, about the Ducky and the parks and "
            "stuff like that; that for me is the most important thing. I like being outdoors and being able to access that.",
     "Interviewee", "published", "green_spaces", LOC_BEST),
    ("Q02", "The best thing about clubmoor is the community, who time and time again has come together to help "
            "vulnerable people within the community",
     "On-line survey respondent", "published", "sense_of_community", LOC_BEST),
    ("Q03", "I want [the pandemic] to go away, but some parts of it I’d like to keep, you know? People chatting to "
            "their neighbours, people doing a bit of shopping for people – it’s no bad thing.",
     "Interviewee", "published", "covid_community_spirit", LOC_BEST),
    ("Q04", "Just be there more for each other I suppose, and support…but I think in general, people will step "
            "forward if they know someone needs help. I think as a city that happens.",
     "Interviewee", "published", "mutual_support", LOC_CAN_DO),
    ("Q05", "Let [the community] know this is what’s going on – it’s having that interaction face-to-face, and "
            "giving the community a voice.",
     "Interviewee", "published", "community_voice", LOC_CAN_DO),
    ("Q06", "Maybe they could have some event days, where you can go and meet these public agencies. Like a dating "
            "app – no, not a dating app! [laughs]. I mean like … a speed dating event but with agencies.",
     "Interviewee", "published", "meet_agencies", LOC_CAN_DO),
    ("Q07", "I think that knocking at the door is kind of the best thing to do, because you’re actually getting to "
            "speak to someone then.",
     "Resident", "project interpretation", "face_to_face_engagement", LOC_ENGAGEMENT),
    ("Q08", "How many times have we parachuted an initiative into an area, given it an amount of funding, and then "
            "moved on when the funding finishes without actually tackling the problem? And then, lo and behold, we "
            "see it resurface because it never really went away.",
     "Practitioner (workshop participant)", "project interpretation", "embedded_sustained_engagement", LOC_BENEFITS),
    ("Q09", "We don’t have to be the people that do the engagement. People talk to people they know, or their "
            "neighbours. I’m not saying we should never do any formal engagement, but I think we need to acknowledge "
            "the strength and … passion which is in communities looking out for each other.",
     "Practitioner (workshop participant)", "project interpretation", "community_driven_engagement", LOC_BENEFITS),
    ("Q10", "We do a lot of one-to-one work virtually … and it’s so difficult because … a lot of what we do and what "
            "we learn is through body language, and we’ve lost that. So we are getting out again – we’re doing more "
            "outreach, more door-knocking … it’s the only effective way to do things.",
     "Practitioner (workshop participant)", "project interpretation", "face_to_face_engagement", LOC_BENEFITS),
]

# item_id, item_type, label, list_order, count, share_more_than
CITYWIDE: list[tuple[str, str, str, int, int | None, float | None]] = [
    ("participants", "participants", "Participants", 1, 1906, None),
    ("strength_community", "strength", "Community", 1, None, 0.5),
    ("improve_traffic", "improvement_area", "Traffic, transport and roads", 1, None, None),
    ("improve_street", "improvement_area", "Street cleanliness and maintenance", 2, None, None),
    ("improve_crime", "improvement_area", "Crime and antisocial behaviour", 3, None, None),
    ("improve_services", "improvement_area",
     "Local public services and facilities, activities, amenities and maintained greenery", 4, None, None),
    ("improve_communication", "improvement_area", "Communication / engagement with Council", 5, None, None),
]

# objective_id, objective (as published), target, delivered, unit, status, explanation, delivered_basis
OBJECTIVES: list[tuple[str, str, int | None, int | None, str, str, str, str]] = [
    ("strengthen_connections",
     "Strengthen connections and trust between the partners (MyClubmoor, LCC and University) and the local community to better understand residents’ priorities",
     None, None, "", "not quantified",
     "The project partners' findings report that the project strengthened MyClubmoor's relations with Liverpool City Council and the University of Liverpool.",
     "project interpretation"),
    ("pioneer_cocreation", "Pioneer co-creation methodologies with disadvantaged communities",
     None, None, "", "not quantified",
     "Residents and front line workers attended training to prepare them as researchers (published); the slides say lockdown "
     "meant a more limited role for the community researchers in data collection.",
     "project interpretation"),
    ("engage_residents",
     "Engage 60 residents and introduce a different conversation with communities that focuses upon prevention and early intervention",
     60, 48, "residents", "unclear",
     "No total of residents engaged is published. 48 survey responses (published) is a lower bound; the 26 interviews (published) "
     "partly re-interviewed survey respondents and included community researchers and board members, so distinct residents cannot be "
     "counted; the Facebook audience (average 942 per post) is reach, not engagement. The delivered figure is our lower bound.",
     "project interpretation"),
    ("gather_intelligence", "Gather data/intelligence to inform and shape future public services",
     None, None, "", "not quantified",
     "A survey, interviews, social media posts and practitioner workshops were carried out (published).",
     "project interpretation"),
    ("train_researchers", "Build local capacity through training 20 community researchers",
     20, 23, "participants", "unclear",
     "23 participants, residents and front line workers, attended four training sessions (published). How many were residents, "
     "and how many went on to act as researchers, is not published; lockdown gave the researchers a more limited role in data "
     "collection. Attending training is not the same as being trained as a researcher, so we do not count the target as met.",
     "published"),
    ("focus_groups", "Deliver 6 citizen focus groups and 2 community workshops",
     6, None, "focus groups", "adapted",
     "No focus groups are reported. The slides say lockdown prevented face-to-face resident engagement and the survey design had to "
     "change; the data collected were a survey, interviews and social media posts. That focus groups were replaced by these is our reading.",
     "project interpretation"),
    ("community_workshops", "Deliver 6 citizen focus groups and 2 community workshops",
     2, 2, "workshops", "adapted",
     "Two workshops were held in November 2020 (published), but with 20 practitioners from public and social agencies, not residents. "
     "Counting them as the planned community workshops is our interpretation.",
     "project interpretation"),
    ("evaluate_disseminate", "Evaluate the approach and disseminate learning across UK",
     None, None, "", "not quantified",
     "The findings presentation itself, implications for policy and practice, and a community-led research toolkit (published as legacy).",
     "project interpretation"),
]

# Survey design (reconstructed; see module docstring)
SURVEY_AGE_SEX: dict[tuple[str, str], int] = {
    ("16-24", "Female"): 1, ("16-24", "Male"): 1,
    ("25-34", "Female"): 3, ("25-34", "Male"): 2,
    ("35-44", "Female"): 7, ("35-44", "Male"): 2,
    ("45-54", "Female"): 9, ("45-54", "Male"): 3,
    ("55-64", "Female"): 7, ("55-64", "Male"): 3, ("55-64", "Prefer not to say"): 1,
    ("65-74", "Female"): 3, ("65-74", "Male"): 3,
    ("75+", "Female"): 1, ("75+", "Male"): 1,
    ("Prefer not to say", "Prefer not to say"): 1,
}
SURVEY_ETHNICITY = {"White": 45, "Mixed/multiple": 1, "Prefer not to say": 2}
SURVEY_MODES = {"online": 41, "telephone": 4, "paper": 3}
SURVEY_MONTHS = {"2020-04": 20, "2020-05": 28}
SURVEY_SINGLE_ANSWERS: dict[str, dict[str, int]] = {
    "recommend": {"yes": 33, "no": 8, "not_sure": 7},
    "change_5yr": {"better": 9, "same": 29, "worse": 5, "dont_know": 4, "": 1},
    "covid_community_spirit": {"more": 31, "no_different": 10, "less": 3, "dont_know": 3, "": 1},
}
BEST_THINGS = {"green_spaces": 24, "community": 21, "location": 12, "local_shops": 8, "community_groups": 6,
               "quiet": 5, "schools": 3, "other": 2}
IMPROVE = {"crime_asb": 22, "things_to_do": 18, "street_cleanliness": 11, "traffic_roads": 9, "housing": 5,
           "public_services": 4, "green_space_maintenance": 4, "communication": 3, "other": 3}
ANSWERING = {"best_things": 46, "improve": 45, "preferred_methods": 44}
METHODS = ("social_media", "email_website", "online_meetings", "postal", "doorstep", "community_meetings", "telephone")
METHOD_PROBABILITIES: dict[str, tuple[float, ...]] = {
    #            social email online postal door  meet  phone
    "younger": (0.80, 0.40, 0.25, 0.20, 0.15, 0.30, 0.10),
    "middle": (0.55, 0.40, 0.15, 0.40, 0.30, 0.45, 0.20),
    "older": (0.15, 0.15, 0.05, 0.75, 0.55, 0.55, 0.35),
}
AGE_GROUP = {"16-24": "younger", "25-34": "younger", "35-44": "younger", "45-54": "middle", "55-64": "middle",
             "Prefer not to say": "middle", "65-74": "older", "75+": "older"}

INTERVIEW_TYPES = {"survey_respondent": 14, "community_researcher": 7, "board_member": 5}
INTERVIEW_MONTHS = {"2020-06": 13, "2020-07": 13}
INTERVIEW_THEMES = {"green_spaces": 16, "sense_of_community": 19, "crime_asb": 12, "things_to_do": 11,
                    "little_change": 9, "covid_community_spirit": 17, "mutual_support": 13,
                    "face_to_face_engagement": 10, "digital_engagement": 7, "blended_engagement": 12,
                    "meet_agencies": 5, "community_voice": 8}

TRAINING_MONTHS = ("2020-02", "2020-02", "2020-03", "2020-03")
TRAINING_PARTICIPANTS = 23
TRAINING_ATTEND_P = 0.65

POSTS = 6
AVERAGE_AUDIENCE = 942
COMMENTS = 25
REACTIONS = 118  # reconstructed split of 176 - 25 = 151
SHARES = 33
POST_TOPICS = ("best_things", "improve", "change_5yr", "covid_community_spirit", "preferred_methods", "recommend")

WORKSHOP_PARTICIPANTS = 20
WORKSHOP_MONTH = "2020-11"
PRACTITIONER_THEMES = ("adapted_methods", "covid_intensified_issues", "grassroots_fragility", "lack_joined_up_working",
                       "collaborative_working", "trusted_grassroots_groups", "leadership_capacity", "data_sharing",
                       "embedded_sustained_engagement", "community_driven_engagement", "digital_exclusion",
                       "face_to_face_engagement")


# --------------------------------------------------------------------------------------------------
# Builders (each consumes the generator in a fixed order)


def _expand(counts: dict[str, int]) -> list[str]:
    return [k for k, n in counts.items() for _ in range(n)]


def _shuffled(rng: np.random.Generator, values: list) -> list:
    return [values[i] for i in rng.permutation(len(values))]


def _deal(rng: np.random.Generator, ids: list[str], counts: dict[str, int], max_per: int) -> dict[str, list[str]]:
    """Deal code tokens to ids: everyone gets at least one, nobody more than max_per, no code twice."""
    tokens = _shuffled(rng, _expand(counts))
    if len(tokens) < len(ids) or len(tokens) > len(ids) * max_per:
        raise ReconstructionError(f"cannot deal {len(tokens)} codes to {len(ids)} respondents")
    have: dict[str, list[str]] = {i: [] for i in ids}
    for i in _shuffled(rng, list(ids)):
        have[i].append(tokens.pop())
    for code in tokens:
        eligible = [i for i in ids if len(have[i]) < max_per and code not in have[i]]
        if not eligible:
            raise ReconstructionError(f"cannot place code {code!r} without exceeding {max_per} per respondent")
        have[eligible[int(rng.integers(len(eligible)))]].append(code)
    return have


def _survey(rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
    people = [{"age_band": a, "sex": s} for (a, s), n in SURVEY_AGE_SEX.items() for _ in range(n)]
    n = len(people)
    for person, eth in zip(people, _shuffled(rng, _expand(SURVEY_ETHNICITY))):
        person["ethnic_group"] = eth
    # Paper and telephone go preferentially to older respondents.
    weight = np.array([{"older": 4.0, "middle": 2.0}.get(AGE_GROUP[p["age_band"]], 1.0) for p in people])
    offline = rng.choice(n, size=n - SURVEY_MODES["online"], replace=False, p=weight / weight.sum())
    offline_modes = _shuffled(rng, _expand({k: v for k, v in SURVEY_MODES.items() if k != "online"}))
    for p in people:
        p["mode"] = "online"
    for idx, mode in zip(sorted(int(i) for i in offline), offline_modes):
        people[idx]["mode"] = mode
    for question, counts in SURVEY_SINGLE_ANSWERS.items():
        for p, answer in zip(people, _shuffled(rng, _expand(counts))):
            p[question] = answer
    # Arrival order: by month, random within month.
    months = _shuffled(rng, _expand(SURVEY_MONTHS))
    position = {int(i): k for k, i in enumerate(rng.permutation(n))}
    for p, m in zip(people, months):
        p["month"] = m
    arrival = sorted(range(n), key=lambda i: (people[i]["month"], position[i]))
    rows = []
    for k, i in enumerate(arrival, start=1):
        rows.append({"response_id": f"S{k:02d}", **people[i]})
    ids = [r["response_id"] for r in rows]

    mentions: list[dict] = []
    for question, counts in (("best_things", BEST_THINGS), ("improve", IMPROVE)):
        answering = sorted(rng.choice(ids, size=ANSWERING[question], replace=False).tolist())
        dealt = _deal(rng, answering, counts, max_per=3)
        codes = list(counts)
        for rid in ids:
            for code in sorted(dealt.get(rid, []), key=codes.index):
                mentions.append({"response_id": rid, "question": question, "code": code})
    answering = set(rng.choice(ids, size=ANSWERING["preferred_methods"], replace=False).tolist())
    for row in rows:
        draws = rng.random(len(METHODS))
        if row["response_id"] not in answering:
            continue
        probs = METHOD_PROBABILITIES[AGE_GROUP[row["age_band"]]]
        chosen = [m for m, d, p in zip(METHODS, draws, probs) if d < p]
        if not chosen:
            chosen = [METHODS[int(np.argmax(probs))]]
        mentions += [{"response_id": row["response_id"], "question": "preferred_methods", "code": m} for m in chosen]
    order_q = {"best_things": 0, "improve": 1, "preferred_methods": 2}
    mentions.sort(key=lambda r: (r["response_id"], order_q[r["question"]]))
    return rows, mentions


def _interviews(rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
    types = _shuffled(rng, _expand(INTERVIEW_TYPES))
    months = sorted(_expand(INTERVIEW_MONTHS))
    rows = [{"interview_id": f"I{k:02d}", "interviewee_type": t, "month": m}
            for k, (t, m) in enumerate(zip(types, months), start=1)]
    ids = [r["interview_id"] for r in rows]
    coded: dict[str, list[str]] = {i: [] for i in ids}
    for theme, count in INTERVIEW_THEMES.items():
        for i in rng.choice(ids, size=count, replace=False).tolist():
            coded[i].append(theme)
    empty = [i for i in ids if not coded[i]]
    if empty:
        raise ReconstructionError(f"interviews without any theme: {empty}")
    order = list(INTERVIEW_THEMES)
    themes = [{"interview_id": i, "theme": t} for i in ids for t in sorted(coded[i], key=order.index)]
    return rows, themes


def _training(rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
    sessions = [{"session_id": f"T{k}", "session_number": k, "month": m}
                for k, m in enumerate(TRAINING_MONTHS, start=1)]
    attendance = []
    for p in range(1, TRAINING_PARTICIPANTS + 1):
        attended = rng.random(len(sessions)) < TRAINING_ATTEND_P
        if not attended.any():
            attended[int(rng.integers(len(sessions)))] = True
        attendance += [{"session_id": s["session_id"], "participant_id": f"R{p:02d}"}
                       for s, a in zip(sessions, attended) if a]
    attendance.sort(key=lambda r: (r["session_id"], r["participant_id"]))
    return sessions, attendance


def _social_media(rng: np.random.Generator) -> list[dict]:
    days_july = sorted(int(d) for d in rng.choice(np.arange(1, 32), size=3, replace=False))
    days_aug = sorted(int(d) for d in rng.choice(np.arange(1, 32), size=3, replace=False))
    dates = [f"2020-07-{d:02d}" for d in days_july] + [f"2020-08-{d:02d}" for d in days_aug]
    topics = _shuffled(rng, list(POST_TOPICS))
    floor = 600
    audience = floor + rng.multinomial(POSTS * AVERAGE_AUDIENCE - POSTS * floor, rng.dirichlet([4.0] * POSTS))
    share = audience / audience.sum()
    reactions = rng.multinomial(REACTIONS, share)
    comments = rng.multinomial(COMMENTS, share)
    shares = rng.multinomial(SHARES, share)
    return [
        {"post_id": f"P{k}", "date": d, "topic": t, "audience": int(a), "reactions": int(r), "comments": int(c),
         "shares": int(s)}
        for k, (d, t, a, r, c, s) in enumerate(zip(dates, topics, audience, reactions, comments, shares), start=1)
    ]


def _workshops(rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
    first = int(rng.integers(8, 13))
    rows = [{"workshop_id": "W1", "workshop_number": 1, "month": WORKSHOP_MONTH, "participants": first},
            {"workshop_id": "W2", "workshop_number": 2, "month": WORKSHOP_MONTH,
             "participants": WORKSHOP_PARTICIPANTS - first}]
    themes = []
    for theme in PRACTITIONER_THEMES:
        if rng.random() < 0.6:
            where = ["W1", "W2"]
        else:
            where = ["W1"] if rng.random() < 0.5 else ["W2"]
        themes += [{"workshop_id": w, "theme": theme} for w in where]
    themes.sort(key=lambda r: (r["workshop_id"], PRACTITIONER_THEMES.index(r["theme"])))
    return rows, themes


# --------------------------------------------------------------------------------------------------
# Writing


def _write_csv(path: Path, columns: list[str], rows: list[dict]) -> Path:
    from cityconv.data.wardfiles import csv_text

    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(csv_text(columns, rows))
    return path


def readme_markdown(seed: int) -> str:
    published = "\n".join(
        f"| `{fid}` | {value:,} | {unit} | {location} |" for fid, value, unit, _, _, location in PUBLISHED_FIGURES
    )
    return f"""# Clubmoor engagement data (City Conversation, 2020)

**The response-level records in this folder are a reconstruction, not the project's data.** The original
survey answers, interview coding, per-post social media statistics and workshop notes were never
published. What was published is the findings presentation *{SOURCE_TITLE}* (citation key
`{SOURCE_KEY}`). The records here are a reconstruction consistent with the published summary: invented
records, chosen so that every published figure is reproduced exactly and every published finding
holds. Use them to demonstrate methods, never to report a new finding about Clubmoor: any number that is
not in the table below (a cross-tabulation, a percentage of respondents, a per-post figure) is a
property of the reconstruction, not of Clubmoor.

Generated by `python -m cityconv.generate.reconstruct data/clubmoor` (`cityconv.generate.reconstruct.reconstruct_clubmoor`,
seed {seed}); do not edit by hand. The run checks every published figure and finding and fails if one is
not reproduced. Column definitions and codes: `CODEBOOK.md`.

## Published facts (from `{SOURCE_KEY}`)

These figures are published and are reproduced exactly; each is in `published_figures.csv` with the
slide wording, and each is re-derived from the records by `cityconv.methods.claims.check_published_figures`.

| figure | value | unit | slide |
|---|---|---|---|
{published}

Also published, and carried as published:
- the objectives and their targets (`objectives.csv`, columns `objective`, `target`);
- fieldwork periods: training February–early March 2020, survey April–May 2020, interviews June–July 2020,
  social media July–August 2020, practitioner workshops November 2020;
- every quote, verbatim, with the speaker's role (`quotes.csv`; where the slide prints no role, the
  role is marked `project interpretation` in `speaker_role_basis`);
- the citywide consultation of autumn 2019 (`../city/citywide_consultation_2019.csv`, kept once at
  city level so every ward's sense check compares with it): 1,906 participants, community as the key
  strength ("over half"), and the improvement areas as listed;
- the qualitative findings (most frequent best things and things to improve, recommending Clubmoor,
  change over five years, Covid-19 and community spirit, preferred engagement methods, the survey's
  sampling bias, the practitioner findings), each encoded as a checkable claim in `cityconv.methods.claims`.

## What is reconstructed

| file | provenance |
|---|---|
| `published_figures.csv`, `quotes.csv`, `../city/citywide_consultation_2019.csv` | published (quote themes: our coding) |
| `findings_statements.csv` | published findings, summarised in our own words (practitioner workshops, partners, implications, legacy) |
| `objectives.csv` | objectives and targets published; `delivered` and `status` as labelled in `delivered_basis` and `explanation` (no focus group count is published, so none is given) |
| `training_sessions.csv`, `training_attendance.csv` | reconstructed: month of each session, who attended which session (totals published) |
| `survey_responses.csv`, `survey_mentions.csv` | reconstructed: every response (48 responses and two months published; demographics chosen to show the published over-representation of middle-aged women and under-representation of ethnic minority residents against the Census 2021 ward figures in `data/context`) |
| `interviews.csv`, `interview_themes.csv` | reconstructed: interviewee type and month of each interview, which themes each interview carries (26 interviews and the three groups published) |
| `social_media_posts.csv` | reconstructed: dates, topics and per-post figures (the totals and the average are published and exact) |
| `workshops.csv`, `workshop_themes.csv` | reconstructed: split of the 20 participants, which workshop raised which published finding |

Assumptions of the reconstruction are listed in the docstring of `src/cityconv/reconstruct.py`. The
survey's age band `16-24` is compared with the census band `15-24` (the census bands split at 14/15).
Small counts are left as they fall: disclosure control is applied when tables are published, not here.
"""


QUESTIONNAIRE_HEADER = """\
# The residents' survey questionnaire for Clubmoor: RECONSTRUCTED.
#
# The City Conversation in Clubmoor (2020) did not publish its questionnaire. This wording and these
# answer options were reconstructed from the published findings presentation (clubmoor_slides_2021),
# like the response-level records in this folder (see README.md): they are not the questions
# residents were asked. A label naming a place in Clubmoor (the Ducky) belongs to this reconstruction only.
#
# Generated by `cityconv reconstruct` from the City Conversation questionnaire; do not edit by hand.
# Format: the comments of any ward made by `cityconv new-ward`, or the field kit pages of the book.

"""


def questionnaire_yaml() -> str:
    """Clubmoor's reconstructed questionnaire: the City Conversation template, its wording marked reconstructed."""
    from cityconv.data.questionnaire import template_text

    text = template_text("Clubmoor")
    body = text[text.index("title:"):]
    start, end = body.index("# reconstructed: true only"), body.index("reconstructed: false\n")
    body = (body[:start] + "# reconstructed: the wording was rebuilt from the published summary, not taken from the "
            "questionnaire.\nreconstructed: true\n" + body[end + len("reconstructed: false\n"):])
    body = body.replace('title: "The City Conversation: residents\' survey"',
                        'title: "The City Conversation in Clubmoor: residents\' survey (reconstructed)"')
    body = body.replace('green_spaces: "Green spaces and parks"', 'green_spaces: "Green spaces and parks (e.g. the Ducky)"')
    return QUESTIONNAIRE_HEADER + body


def reconstruct_clubmoor(out_dir: Path, seed: int = 2020, context_dir: Path | None = None) -> list[Path]:
    """Write the Clubmoor tables, README.md, questionnaire.yml and CODEBOOK.md into `out_dir`; return the paths written.

    Deterministic for a given seed. Raises ReconstructionError if any published figure is not
    reproduced exactly or any published finding does not hold (census-based claims are checked when
    `context_dir`, by default `out_dir/../context`, holds the census tables).
    """
    from cityconv.data import wardfiles as datafiles
    from cityconv.data.context import load_context
    from cityconv.methods import claims

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    survey, mentions = _survey(rng)
    interviews, interview_themes = _interviews(rng)
    sessions, attendance = _training(rng)
    posts = _social_media(rng)
    workshops, workshop_themes = _workshops(rng)

    def columns(stem: str) -> list[str]:
        return [f["name"] for f in datafiles.schema_descriptor(stem)["fields"]]

    tables: dict[str, list[dict]] = {
        "published_figures": [
            {"figure_id": f, "value": v, "unit": u, "description": d, "source_text": t, "source_key": SOURCE_KEY,
             "location": loc}
            for f, v, u, d, t, loc in PUBLISHED_FIGURES
        ],
        "objectives": [
            {"objective_id": i, "objective": o, "target": t, "delivered": d, "unit": u, "status": s,
             "explanation": e, "delivered_basis": b, "source_key": SOURCE_KEY, "location": LOC_OBJECTIVES}
            for i, o, t, d, u, s, e, b in OBJECTIVES
        ],
        "training_sessions": sessions,
        "training_attendance": attendance,
        "survey_responses": survey,
        "survey_mentions": mentions,
        "interviews": interviews,
        "interview_themes": interview_themes,
        "social_media_posts": posts,
        "workshops": workshops,
        "workshop_themes": workshop_themes,
        "quotes": [
            {"quote_id": q, "text": t, "speaker_role": r, "speaker_role_basis": b, "theme": th,
             "source_key": SOURCE_KEY, "location": loc}
            for q, t, r, b, th, loc in QUOTES
        ],
        "findings_statements": [
            {"statement_id": i, "section": sec, "text": t, "source_key": SOURCE_KEY, "location": loc}
            for i, sec, t, loc in FINDINGS_STATEMENTS
        ],
    }
    written = [_write_csv(out_dir / f"{stem}.csv", columns(stem), rows) for stem, rows in tables.items()]
    # The citywide consultation is a city-level source: one copy, beside the ward folders, for every ward.
    city_dir = datafiles.city_dir_for(out_dir)
    city_dir.mkdir(parents=True, exist_ok=True)
    citywide = [
        {"item_id": i, "item_type": k, "label": lab, "list_order": o, "count": c, "share_more_than": s,
         "source_key": SOURCE_KEY, "location": LOC_SENSE_CHECK}
        for i, k, lab, o, c, s in CITYWIDE
    ]
    city_columns = [f["name"] for f in datafiles.city_schema_descriptor("citywide_consultation_2019")["fields"]]
    written.append(_write_csv(city_dir / "citywide_consultation_2019.csv", city_columns, citywide))
    readme = out_dir / "README.md"
    readme.write_text(readme_markdown(seed), encoding="utf-8", newline="\n")
    questionnaire = out_dir / "questionnaire.yml"
    questionnaire.write_text(questionnaire_yaml(), encoding="utf-8", newline="\n")
    written += [readme, questionnaire, datafiles.write_codebook(out_dir / "CODEBOOK.md")]

    # Fail loudly if anything published is not reproduced.
    ward = datafiles.load_ward_data(out_dir, root=out_dir.parent)
    failures = [str(r) for r in claims.check_published_figures(ward) if not r.passed]
    for fid, value, *_ in PUBLISHED_FIGURES:
        row = ward.published_figures.loc[ward.published_figures["figure_id"] == fid, "value"]
        if len(row) != 1 or float(row.iloc[0]) != float(value):
            failures.append(f"published_figures.csv does not carry {fid} = {value}")
    context_dir = Path(context_dir) if context_dir is not None else out_dir.parent / "context"
    context = load_context(context_dir, claims.CLUBMOOR_WARD_CODE) if context_dir.is_dir() else None
    failures += [str(r) for r in claims.check_claims(ward, context) if r.passed is False]
    if failures:
        raise ReconstructionError("reconstruction does not reproduce the published source:\n" + "\n".join(failures))
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("data/clubmoor")
    seed = int(args[1]) if len(args) > 1 else 2020
    for path in reconstruct_clubmoor(out, seed=seed):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
