export { buttonBody, commandBody, postSigned, slackHeaders, SANDBOX_SIGNING_SECRET as SIGNING_SECRET } from '../../sandbox/slack/signed-requests';
