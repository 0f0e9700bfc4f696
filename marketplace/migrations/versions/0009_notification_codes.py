"""notifications and match round messages as message codes

Revision ID: 0009_notification_codes
Revises: 0008_region_boundaries
Create Date: 2026-12-02 12:00:00

A notification stored its English text and a link path; it now stores a message code, its
parameters and the object it is about (``ref_type``, ``ref_id``), rendered in the reader's language
with a link built by the web layer. Existing rows are converted by parsing the texts and links the
services wrote (the formats below are theirs, frozen here); a text that matches none is kept whole
under the code ``raw``. The ``text`` and ``link`` columns are then dropped: everything they held is
in the new columns (a link that names no object only ever pointed at the reader's own list).

A match round's ``message`` held the solver's phase names and English failure texts; it now holds
a message code (``round.solve``, ``round.failed``…), with a failure's reference kept in the round's
statistics as ``message_params``.

The downgrade writes the English texts and links back from the codes.
"""

import json
import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0009_notification_codes'
down_revision: str | None = '0008_region_boundaries'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The services' English texts, by kind: (code, pattern of the text, the text from parameters).
TEXTS: dict[str, tuple[str, re.Pattern[str], str]] = {
    'delivery_confirmed': (
        'notice.delivery_confirmed',
        re.compile(r'Delivery confirmed: (?P<title>.*)', re.S),
        'Delivery confirmed: {title}',
    ),
    'delivery_rejected': (
        'notice.delivery_rejected',
        re.compile(r'Delivery not confirmed: (?P<title>.*?)(?: — (?P<reason>.*))?', re.S),
        'Delivery not confirmed: {title} — {reason}',
    ),
    'claim_expired': (
        'notice.claim_expired',
        re.compile(r'A claim expired and the wish went back to the pool'),
        'A claim expired and the wish went back to the pool',
    ),
    'assignment': (
        'notice.assignment',
        re.compile(r'New assignment for (?P<offer>.*?): (?P<title>.*)', re.S),
        'New assignment for {offer}: {title}',
    ),
    'claim_expiring': (
        'notice.claim_expiring',
        re.compile(r'Your claim is due within a day: (?P<title>.*)', re.S),
        'Your claim is due within a day: {title}',
    ),
    'delivery_awaiting': (
        'notice.delivery_awaiting',
        re.compile(r'A delivery awaits your confirmation: (?P<title>.*)', re.S),
        'A delivery awaits your confirmation: {title}',
    ),
    'delivery_overdue': (
        'notice.delivery_overdue',
        re.compile(r'Overdue: a delivery waits past its confirmation deadline: (?P<title>.*)', re.S),
        'Overdue: a delivery waits past its confirmation deadline: {title}',
    ),
    'offer_low': (
        'notice.offer_low',
        re.compile(
            r'Offer nearly used up \((?P<remaining>\d+) of (?P<capacity>\d+) left\): (?P<title>.*)',
            re.S,
        ),
        'Offer nearly used up ({remaining} of {capacity} left): {title}',
    ),
}
NUMBERS = ('remaining', 'capacity')
RAW = 'raw'

CLAIM_TO_DELIVER = re.compile(r'/member/claims/(?P<claim>\d+)/deliver')
DELIVERY = re.compile(r'/hub/deliveries\?claim=(?P<claim>\d+)(?P<overdue>&overdue=1)?#need-(?P<need>\d+)')
OFFER = re.compile(r'/org/#offer-(?P<offer>\d+)')

user = sa.table('user', sa.column('id', sa.Integer), sa.column('role', sa.String))
notification = sa.table(
    'notification',
    sa.column('id', sa.Integer),
    sa.column('user_id', sa.Integer),
    sa.column('kind', sa.String),
    sa.column('text', sa.String),
    sa.column('link', sa.String),
    sa.column('code', sa.String),
    sa.column('params', sa.JSON),
    sa.column('ref_type', sa.String),
    sa.column('ref_id', sa.Integer),
)


def parse(kind: str, text: str, link: str | None) -> dict[str, Any]:
    """An old row's (kind, text, link) → code, parameters and reference."""
    code, params = RAW, {'text': text}
    known = TEXTS.get(kind)
    match = known[1].fullmatch(text) if known else None
    if known and match:
        code = known[0]
        params = {k: (int(v) if k in NUMBERS else v or '') for k, v in match.groupdict().items()}
    ref_type, ref_id = None, None
    if link and (m := CLAIM_TO_DELIVER.fullmatch(link)):
        ref_type, ref_id = 'claim', int(m['claim'])
    elif link and (m := DELIVERY.fullmatch(link)):
        ref_type, ref_id = 'claim', int(m['claim'])
        if code != RAW:
            params['need'] = int(m['need'])
    elif link and (m := OFFER.fullmatch(link)):
        ref_type, ref_id = 'offer', int(m['offer'])
    return {'code': code, 'params': params, 'ref_type': ref_type, 'ref_id': ref_id}


def unparse(kind: str, code: str, params: dict[str, Any], ref_type: str | None,
            ref_id: int | None, role: str) -> dict[str, Any]:
    """The inverse of ``parse``, for the downgrade (``role`` is the reader's)."""
    known = TEXTS.get(kind)
    if code == RAW or known is None or known[0] != code:
        text = str(params.get('text', ''))
    else:
        values = {name: params.get(name, '') for name in known[1].groupindex}
        text = known[2].format(**values)
        if kind == 'delivery_rejected' and not values['reason']:
            text = text.removesuffix(' — ')
    link = None
    if kind in ('delivery_confirmed', 'delivery_rejected', 'claim_expired'):
        link = '/org/assignments' if role == 'org' else '/member/claims'
    if kind == 'assignment':
        link = '/org/assignments'
    if kind == 'claim_expiring' and ref_type == 'claim':
        link = f'/member/claims/{ref_id}/deliver'
    if kind in ('delivery_awaiting', 'delivery_overdue') and ref_type == 'claim':
        overdue = '&overdue=1' if kind == 'delivery_overdue' else ''
        link = f'/hub/deliveries?claim={ref_id}{overdue}#need-{params.get("need", "")}'
    if kind == 'offer_low' and ref_type == 'offer':
        link = f'/org/#offer-{ref_id}'
    return {'text': text[:500], 'link': link}


# Match rounds: the stored phase names and failure texts → codes (and back).
ROUND_PHASES = {
    'loading': 'round.loading',
    'candidates': 'round.candidates',
    'model': 'round.model',
    'solve': 'round.solve',
    'result': 'round.result',
    'done': 'round.done',
}
ROUND_FAILED = re.compile(r'failed: internal error \(reference (?P<ref>\w+)\)')

matchround = sa.table(
    'matchround',
    sa.column('id', sa.Integer),
    sa.column('status', sa.String),
    sa.column('message', sa.String),
    sa.column('stats', sa.JSON),
)


def round_code(status: str, message: str) -> tuple[str, dict[str, Any]]:
    """An old round message → (code, parameters to keep); ``('', {})`` for no message."""
    if not message:
        return '', {}
    if message in ROUND_PHASES:
        # A round that stopped in a phase with no outcome stored (the phase is all we know).
        return ('round.done' if status == 'done' else ROUND_PHASES[message]), {}
    if message.startswith('timeout'):
        return 'round.timeout', {}
    if m := ROUND_FAILED.fullmatch(message):
        return 'round.failed', {'ref': m['ref']}
    return RAW, {'text': message}


def round_text(code: str, params: dict[str, Any]) -> str:
    """The inverse of ``round_code``, for the downgrade."""
    phases = {v: k for k, v in ROUND_PHASES.items()} | {'round.storing': 'done', 'round.running': 'solve'}
    if code in phases:
        return phases[code]
    if code == 'round.timeout':
        return 'timeout'
    if code == 'round.failed':
        return f'failed: internal error (reference {params.get("ref", "")})'
    return str(params.get('text', code))


def _params(value: Any) -> dict[str, Any]:
    if isinstance(value, str):  # a driver that hands JSON back as text
        value = json.loads(value)
    return dict(value or {})


def upgrade() -> None:
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('ref_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('ref_id', sa.Integer(), nullable=True))

    bind = op.get_bind()
    rows = bind.execute(
        sa.select(notification.c.id, notification.c.kind, notification.c.text, notification.c.link)
    ).all()
    if rows:
        bind.execute(
            notification.update().where(notification.c.id == sa.bindparam('row_id')),
            [{'row_id': row.id} | parse(row.kind, row.text, row.link) for row in rows],
        )

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('code', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.alter_column('params', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('text')
        batch_op.drop_column('link')

    changes = []
    for row in bind.execute(sa.select(matchround)).all():
        code, params = round_code(row.status, row.message)
        if code != row.message:
            stats = _params(row.stats) | ({'message_params': params} if params else {})
            changes.append({'row_id': row.id, 'message': code, 'stats': stats})
    if changes:
        bind.execute(matchround.update().where(matchround.c.id == sa.bindparam('row_id')), changes)


def downgrade() -> None:
    bind = op.get_bind()
    changes = []
    for row in bind.execute(sa.select(matchround)).all():
        stats = _params(row.stats)
        params = stats.pop('message_params', {})
        text = round_text(row.message, params) if row.message else ''
        if text != row.message:
            changes.append({'row_id': row.id, 'message': text[:500], 'stats': stats})
    if changes:
        bind.execute(matchround.update().where(matchround.c.id == sa.bindparam('row_id')), changes)

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('link', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))

    rows = bind.execute(
        sa.select(
            notification.c.id,
            notification.c.kind,
            notification.c.code,
            notification.c.params,
            notification.c.ref_type,
            notification.c.ref_id,
            user.c.role,
        ).join(user, user.c.id == notification.c.user_id)
    ).all()
    if rows:
        bind.execute(
            notification.update().where(notification.c.id == sa.bindparam('row_id')),
            [
                {'row_id': row.id}
                | unparse(row.kind, row.code, _params(row.params), row.ref_type, row.ref_id, row.role)
                for row in rows
            ],
        )

    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.alter_column('text', existing_type=sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False)
        batch_op.drop_column('ref_id')
        batch_op.drop_column('ref_type')
        batch_op.drop_column('params')
        batch_op.drop_column('code')
