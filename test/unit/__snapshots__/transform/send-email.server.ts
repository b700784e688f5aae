// sendEmail(to) exported as [default]
// An anonymous default export is named after its file: send-email.ts → sendEmail.
export default async (to: string) => {
  
  return { sent: to }
}
