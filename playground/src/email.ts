export async function sendConfirmation(email: string, orderId: string) {
  'use femto'
  console.log(`sending confirmation of ${orderId} to ${email}`)
  return { to: email, subject: `Order ${orderId} confirmed`, servedBy: process.pid }
}
