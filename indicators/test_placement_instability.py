from indicators._handmade import total, two_stays
from indicators.placement_instability import PlacementInstability

EPISODE = {"ls": "C2", "cin": "N1", "place_provider": "PR1", "rec": None, "reason_place_change": None, "urn": None}


def test_three_or_more_placements_in_the_year_after_leaving_by_hand() -> None:
    """a left 2022-06-01 (window to 2023-06-01): the placement begun that day counts 1; moves on 2022-08-01
    and 2022-10-01 count 2 more; the 2022-09-01 episode is a change of legal status (RNE L), not a move; the
    2023-07-01 move is after the window. 3 placements: unstable.
    b left 2022-12-01: in a placement since 2022-11-01 (1); a temporary move (T1) is not a placement. 1 placement.
    1 of 2 = 50%."""
    episodes = [
        {**EPISODE, "record_id": "p1", "child_id": "a", "decom": "2022-06-01", "rne": "S", "place": "U1",
         "dec": "2022-08-01"},
        {**EPISODE, "record_id": "p2", "child_id": "a", "decom": "2022-08-01", "rne": "P", "place": "U2",
         "dec": "2022-09-01"},
        {**EPISODE, "record_id": "p3", "child_id": "a", "decom": "2022-09-01", "rne": "L", "place": "U2",
         "dec": "2022-10-01"},
        {**EPISODE, "record_id": "p4", "child_id": "a", "decom": "2022-10-01", "rne": "P", "place": "U3",
         "dec": "2023-07-01"},
        {**EPISODE, "record_id": "p5", "child_id": "a", "decom": "2023-07-01", "rne": "P", "place": "U4",
         "dec": None},
        {**EPISODE, "record_id": "p6", "child_id": "b", "decom": "2022-11-01", "rne": "S", "place": "U1",
         "dec": None},
        {**EPISODE, "record_id": "p7", "child_id": "b", "decom": "2023-01-01", "rne": "P", "place": "T1",
         "dec": "2023-01-08"},
    ]  # fmt: skip
    row = total(PlacementInstability(), two_stays(care_episodes=episodes))
    assert (row["time_period"], row["numerator"], row["denominator"], row["value"]) == ("2022-23", 1, 2, 50.0)


def test_leavers_never_looked_after_again_are_not_in_the_denominator() -> None:
    """Only b has an episode in its window (one placement): 0 of 1; a, with none, is not counted."""
    episodes = [
        {**EPISODE, "record_id": "p6", "child_id": "b", "decom": "2022-11-01", "rne": "S", "place": "U1",
         "dec": None},
    ]  # fmt: skip
    row = total(PlacementInstability(), two_stays(care_episodes=episodes))
    assert (row["numerator"], row["denominator"]) == (0, 1)
